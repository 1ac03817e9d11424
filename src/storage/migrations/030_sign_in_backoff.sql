-- Sign-in lockout with back-off: a lock ends by itself at locked_until (NULL: a lock from
-- before this migration, which stays until an admin or `mnvault unlock` lifts it);
-- lock_count is how many locks in a row, doubling the next one.
ALTER TABLE users ADD COLUMN locked_until TEXT;
ALTER TABLE users ADD COLUMN lock_count INTEGER NOT NULL DEFAULT 0;
