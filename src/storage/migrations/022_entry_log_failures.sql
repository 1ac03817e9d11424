-- The entry log (入退室記録) also lists what was refused at the appliance: a
-- wrong PIN on the pad (slot.unlock_failed with a device), a PIN lock, a
-- refused approval and a refused security key. The partial index follows the
-- wider expression so a month's page stays fast (storage/entry-log-repo.ts).
DROP INDEX audit_events_entry_log;
CREATE INDEX audit_events_entry_log ON audit_events(at)
  WHERE action = 'gate.entry' OR action GLOB 'door.*'
     OR action IN ('gate.pin_refused', 'gate.pin_locked', 'gate.key_refused')
     OR (action = 'slot.unlock_failed' AND device IS NOT NULL);
