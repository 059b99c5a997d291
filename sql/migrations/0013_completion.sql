-- abipraya: certificate numbers of completions (contract §16.7, §16.13): unique within a
-- programme, whatever code path writes them (the op also assigns them under the programme
-- row's lock, so two instances never race for one number).
CREATE UNIQUE INDEX enrolments_certificate_key ON app.enrolments (programme_id, certificate_number);
