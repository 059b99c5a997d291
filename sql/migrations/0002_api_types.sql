-- abipraya: what the functions of sql/api/ are written against and that cannot be made
-- anew by re-running a file: the api schema, its composite types (a function's signature
-- names them, so a type is changed by a migration that also re-creates those functions)
-- and the table mapping constraint names to problems, with its rows.
-- A database migrated before sql/ was split records this as 0002_api.sql (retired; see
-- docs/ops.md "Migrations"), which created the same objects.

CREATE SCHEMA IF NOT EXISTS api;

CREATE TYPE api.ctx AS (user_id uuid, role text, house_ids uuid[], request_id text);
CREATE TYPE api.reply AS (status int, body jsonb);
CREATE TYPE api.result AS (status int, body jsonb, etag int);

-- Constraint name -> problem (unique, exclusion, foreign key, check violations).
CREATE TABLE api.constraint_problems (
    constraint_name text PRIMARY KEY,
    status          int NOT NULL,
    code            text NOT NULL,
    field           text,
    detail          text
);
INSERT INTO api.constraint_problems VALUES
    ('houses_code_key',                 409, 'conflict', 'code', 'a house with this code exists'),
    ('users_username_key',              409, 'conflict', 'username', 'this username is taken'),
    ('rooms_house_code_key',            409, 'conflict', 'code', 'a room with this code exists in the house'),
    ('beds_room_label_key',             409, 'conflict', 'label', 'a bed with this label exists in the room'),
    ('residents_register_number_key',   409, 'conflict', 'register_number', 'this register number is taken'),
    ('rules_house_code_key',            409, 'conflict', 'code', 'a rule with this code exists in the house'),
    ('exit_plans_stay_key',             409, 'conflict', 'stay_id', 'the stay already has an exit plan'),
    ('bed_periods_no_overlap',          409, 'bed_occupied', 'bed_id', 'the bed holds another stay at that time'),
    ('stays_one_active_per_resident',   409, 'resident_in_residence', 'resident_id', 'the resident already has an active stay'),
    ('stays_resident_no_overlap',       409, 'resident_in_residence', 'resident_id', 'the resident has a stay at that time'),
    ('movements_one_open_per_stay',     409, 'already_out', 'stay_id', 'the resident is signed out'),
    ('users_role_check',                422, 'validation_failed', 'role', 'unknown role'),
    ('rooms_sex_check',                 422, 'validation_failed', 'sex', 'must be male, female or any'),
    ('beds_status_check',               422, 'validation_failed', 'status', 'must be available or out_of_service'),
    ('residents_sex_check',             422, 'validation_failed', 'sex', 'must be male or female'),
    ('residents_legal_status_check',    422, 'validation_failed', 'legal_status', 'unknown legal status'),
    ('residents_caseworker_id_fkey',    422, 'validation_failed', 'caseworker_id', 'no such caseworker'),
    ('stays_exit_reason_check',         422, 'validation_failed', 'exit_reason', 'unknown exit reason'),
    ('stays_destination_check',         422, 'validation_failed', 'destination', 'unknown destination'),
    ('stays_out_after_in',              422, 'validation_failed', 'checked_out_at', 'before the check-in'),
    ('bed_periods_to_after_from',       422, 'validation_failed', 'at', 'before the current bed period began'),
    ('movements_purpose_check',         422, 'validation_failed', 'purpose', 'unknown purpose'),
    ('rules_severity_check',            422, 'validation_failed', 'severity', 'must be minor, major or critical'),
    ('exit_plans_destination_check',    422, 'validation_failed', 'destination_plan', 'unknown destination'),
    ('goals_domain_check',              422, 'validation_failed', 'domain', 'unknown domain'),
    ('goals_status_check',              422, 'validation_failed', 'status', 'unknown status');
