-- Exports through the gate: the file's encoding, chosen with the request.
ALTER TABLE gate_requests ADD COLUMN export_encoding TEXT CHECK (export_encoding IN ('utf8_bom', 'shift_jis'));
