-- Collection progress on the admin's home page: each campaign's members per stored
-- state, kept by triggers so the home page reads one row per campaign instead of
-- counting members. 期限切れ is a time, not a state: it stays a range of
-- campaign_members_state (campaign_id, 'issued', expires_at <= now).
CREATE TABLE campaign_counts (
  campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
  pending     INTEGER NOT NULL DEFAULT 0,
  issued      INTEGER NOT NULL DEFAULT 0,
  submitted   INTEGER NOT NULL DEFAULT 0,
  verified    INTEGER NOT NULL DEFAULT 0
) STRICT;
-- Open campaigns (someone has not submitted yet), newest first, along this index.
CREATE INDEX campaign_counts_open ON campaign_counts(campaign_id) WHERE pending + issued > 0;

INSERT INTO campaign_counts (campaign_id) SELECT id FROM campaigns;
UPDATE campaign_counts SET
  pending   = (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = campaign_counts.campaign_id AND m.state = 'pending'),
  issued    = (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = campaign_counts.campaign_id AND m.state = 'issued'),
  submitted = (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = campaign_counts.campaign_id AND m.state = 'submitted'),
  verified  = (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = campaign_counts.campaign_id AND m.state = 'verified');

CREATE TRIGGER campaign_counts_new AFTER INSERT ON campaigns BEGIN
  INSERT INTO campaign_counts (campaign_id) VALUES (NEW.id);
END;
CREATE TRIGGER campaign_counts_member_in AFTER INSERT ON campaign_members BEGIN
  UPDATE campaign_counts SET
    pending = pending + (NEW.state = 'pending'), issued = issued + (NEW.state = 'issued'),
    submitted = submitted + (NEW.state = 'submitted'), verified = verified + (NEW.state = 'verified')
   WHERE campaign_id = NEW.campaign_id;
END;
CREATE TRIGGER campaign_counts_member_state AFTER UPDATE OF state ON campaign_members WHEN NEW.state <> OLD.state BEGIN
  UPDATE campaign_counts SET
    pending = pending + (NEW.state = 'pending') - (OLD.state = 'pending'), issued = issued + (NEW.state = 'issued') - (OLD.state = 'issued'),
    submitted = submitted + (NEW.state = 'submitted') - (OLD.state = 'submitted'), verified = verified + (NEW.state = 'verified') - (OLD.state = 'verified')
   WHERE campaign_id = NEW.campaign_id;
END;
CREATE TRIGGER campaign_counts_member_out AFTER DELETE ON campaign_members BEGIN
  UPDATE campaign_counts SET
    pending = pending - (OLD.state = 'pending'), issued = issued - (OLD.state = 'issued'),
    submitted = submitted - (OLD.state = 'submitted'), verified = verified - (OLD.state = 'verified')
   WHERE campaign_id = OLD.campaign_id;
END;
