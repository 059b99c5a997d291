-- abipraya: a bed held for a referral (contract §17.4, §17.13), which referrals (0019) and
-- holds (0020), built side by side, left out. A hold names its referral or its resident (a
-- referral's hold gets the resident when the referral is accepted, 20_referrals.sql), and a
-- referral, like a resident, has at most one active hold at a time.

ALTER TABLE app.holds ADD COLUMN referral_id uuid REFERENCES app.referrals;
ALTER TABLE app.holds DROP CONSTRAINT holds_person_check;
ALTER TABLE app.holds ADD CONSTRAINT holds_person_check CHECK (referral_id IS NOT NULL OR resident_id IS NOT NULL);
ALTER TABLE app.holds ADD CONSTRAINT holds_one_per_referral
    EXCLUDE USING gist (referral_id WITH =, person_during WITH &&);
CREATE INDEX holds_referral_idx ON app.holds (referral_id) WHERE status = 'active';

INSERT INTO api.constraint_problems VALUES
    ('holds_one_per_referral', 409, 'already_held', 'referral_id', 'the referral already holds a bed');
