-- The waiting page talks back: what the appliance said about this request.
-- wrong_pins counts wrong PINs typed for it; refusal is the last refusal
-- ('wrong_pin' or 'locked'), NULL when none. Neither names who typed.
ALTER TABLE gate_requests ADD COLUMN wrong_pins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_requests ADD COLUMN refusal TEXT CHECK (refusal IN ('wrong_pin', 'locked'));
-- A handler's own requests, newest first (/gate): a seek on this index.
CREATE INDEX gate_requests_handler_recent ON gate_requests(handler_id, id);
