-- The entry log (入退室記録) also lists failed readings of a 個人番号カード at the
-- appliance's card reader (card.read_failed: a wrong card PIN, a locked card,
-- a card pulled mid-read, a failed signature, a refused name mismatch). The
-- partial index follows the wider expression (storage/entry-log-repo.ts).
DROP INDEX audit_events_entry_log;
CREATE INDEX audit_events_entry_log ON audit_events(at)
  WHERE action = 'gate.entry' OR action GLOB 'door.*'
     OR action IN ('gate.pin_refused', 'gate.pin_locked', 'gate.key_refused', 'card.read_failed')
     OR (action = 'slot.unlock_failed' AND device IS NOT NULL);
