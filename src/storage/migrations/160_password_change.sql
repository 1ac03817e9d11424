-- A password an admin reset is temporary: the user must choose a new one at the
-- next sign-in before any other page opens (1 = must change).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
