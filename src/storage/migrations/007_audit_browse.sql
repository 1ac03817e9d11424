-- Browsing the audit trail (/audit): each filter walks its own index newest
-- first by seq (keyset paging), so a page costs the same at any depth and at
-- a million events. Persons go through audit_subjects(person_id, seq) (002);
-- periods are turned into a seq range through audit_events_at (001).
CREATE INDEX audit_events_action_seq ON audit_events(action, seq);
CREATE INDEX audit_events_actor_seq ON audit_events(actor_id, seq);
CREATE INDEX audit_events_purpose_seq ON audit_events(purpose, seq) WHERE purpose IS NOT NULL;
CREATE INDEX audit_events_device_seq ON audit_events(device, seq) WHERE device IS NOT NULL;
