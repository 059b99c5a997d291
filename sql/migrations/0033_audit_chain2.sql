-- abipraya: the audit chain's head records its format (1: sha256 over the bytes of the
-- previous hash and the record's canonical array; 2: contract §18.12) and whether it is keyed,
-- with key_check, an HMAC of a fixed text under the key (never the key), so that a changed
-- key can be told from tampering. migrate moves a chain of format 1 (or one newly keyed) to
-- format 2 after the migrations and sql/api files (api.audit_rechain); a database without
-- records starts in format 2, its empty head the "" of prev_hash_1.
ALTER TABLE app.audit_head
    ADD COLUMN format    int NOT NULL DEFAULT 1 CONSTRAINT audit_head_format_check CHECK (format IN (1, 2)),
    ADD COLUMN keyed     boolean NOT NULL DEFAULT false,
    ADD COLUMN key_check bytea,
    ADD CONSTRAINT audit_head_key_check CHECK (keyed = (key_check IS NOT NULL));
UPDATE app.audit_head SET format = 2, hash = ''::bytea WHERE pos = 0;
