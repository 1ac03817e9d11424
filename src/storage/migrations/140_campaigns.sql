-- Collection campaigns (収集キャンペーン): persons picked by a filter, each issued a
-- self-intake code in bulk with the purposes the campaign chose per kind.
-- Codes themselves are never stored here: a member points at its current code by
-- the code's hash (intake_codes.code_hash).
CREATE TABLE campaigns (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  -- The filter and its argument, as chosen (missing, unchecked, dependants, joined_since, payees_of_year).
  filter      TEXT NOT NULL,
  filter_arg  TEXT,
  -- Purpose codes per kind: {"employee": [...], "dependant": [...], "payee": [...]}.
  purposes    TEXT NOT NULL,
  -- How long each code of the campaign works, in days (slips go by hand or by post).
  valid_days  INTEGER NOT NULL CHECK (valid_days BETWEEN 1 AND 60),
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL
) STRICT;

-- state: pending (未発行), issued (発行済; 期限切れ when expires_at has passed),
-- submitted (提出済), verified (本人確認済).
CREATE TABLE campaign_members (
  campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'issued', 'submitted', 'verified')),
  code_hash    BLOB,
  issued_at    TEXT,
  expires_at   TEXT,
  submitted_at TEXT,
  PRIMARY KEY (campaign_id, person_id)
) STRICT, WITHOUT ROWID;
-- Counts per state and the expired count are ranges of this index.
CREATE INDEX campaign_members_state ON campaign_members(campaign_id, state, expires_at);
-- The list of who has not submitted, keyset-paged by person id.
CREATE INDEX campaign_members_open ON campaign_members(campaign_id, person_id) WHERE state IN ('pending', 'issued');
CREATE INDEX campaign_members_code ON campaign_members(code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX campaign_members_person ON campaign_members(person_id);

-- A member's code used (the person submitted) makes the member 提出済, whichever
-- path used it; the first identity check of a submitted member makes it 本人確認済.
CREATE TRIGGER campaign_members_submitted AFTER UPDATE OF used_at ON intake_codes
WHEN NEW.used_at IS NOT NULL AND OLD.used_at IS NULL BEGIN
  UPDATE campaign_members SET state = 'submitted', submitted_at = NEW.used_at
   WHERE code_hash = NEW.code_hash AND state = 'issued';
END;
-- A member's code cut short (a single code issued to the person later) is 期限切れ at once.
CREATE TRIGGER campaign_members_code_expired AFTER UPDATE OF expires_at ON intake_codes
WHEN NEW.expires_at < OLD.expires_at BEGIN
  UPDATE campaign_members SET expires_at = NEW.expires_at WHERE code_hash = NEW.code_hash AND state = 'issued';
END;
CREATE TRIGGER campaign_members_verified AFTER INSERT ON identity_checks BEGIN
  UPDATE campaign_members SET state = 'verified' WHERE person_id = NEW.person_id AND state = 'submitted';
END;

-- 「登録日以降」 and payees of a year pick persons by the date they were registered.
CREATE INDEX persons_created ON persons(kind, created_at);
-- The register's 未提供 filter pages along its own partial index, as 未取得 does.
CREATE INDEX persons_register_not_provided ON persons(register_key, id) WHERE number_state = 'not_provided';
