-- The handler's home page lists self-intake codes near expiry: unused codes by
-- expiry, a seek on this index instead of a walk of every code ever issued.
CREATE INDEX intake_codes_unused_expiry ON intake_codes(expires_at) WHERE used_at IS NULL;
