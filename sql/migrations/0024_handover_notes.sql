-- abipraya: shift handover notes (contract §17.9). A note is a log entry: never changed,
-- never deleted (UPDATE, DELETE and TRUNCATE are refused here, whoever asks). Its flags are
-- at most 6 distinct values of the list, in the order the author gave them.

CREATE FUNCTION app.distinct_count(vals text[]) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT count(DISTINCT v)::int FROM unnest(vals) v
$$;

-- One trigger function for every append-only table from here on (names the table).
CREATE FUNCTION app.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TABLE app.handover_notes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    house_id   uuid NOT NULL REFERENCES app.houses,
    shift      text NOT NULL CONSTRAINT handover_notes_shift_check CHECK (shift IN ('morning','afternoon','night')),
    note       text NOT NULL CONSTRAINT handover_notes_note_check CHECK (btrim(note, E' \t\r\n') <> '' AND length(note) <= 5000),
    flags      text[] NOT NULL DEFAULT '{}' CONSTRAINT handover_notes_flags_check CHECK (
                   flags <@ ARRAY['incident','medical','maintenance','security','follow_up','visitor']
                   AND cardinality(flags) <= 6 AND app.distinct_count(flags) = cardinality(flags)),
    author_id  uuid NOT NULL REFERENCES app.users,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- the list (creation order within a house) and tonight's last 24 hours
CREATE INDEX handover_notes_house_idx ON app.handover_notes (house_id, seq);
CREATE INDEX handover_notes_house_created_idx ON app.handover_notes (house_id, created_at);

CREATE TRIGGER handover_notes_append_only BEFORE UPDATE OR DELETE ON app.handover_notes
    FOR EACH ROW EXECUTE FUNCTION app.append_only();
CREATE TRIGGER handover_notes_no_truncate BEFORE TRUNCATE ON app.handover_notes
    FOR EACH STATEMENT EXECUTE FUNCTION app.append_only();
