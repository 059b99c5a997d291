-- abipraya: the roll_call_absent alert (sql/api/14_alerts.sql, asked by every GET /alerts and
-- GET /houses/{id}/tonight) starts from the absent lines of active stays. Absences are ~1 % of
-- the lines and every roll-call writes a line per resident (a 2 000-bed house: 1 720 lines a
-- roll-call, ~260 000 in the benchmark), so without this the alert read them all in a
-- sequential scan: 60-70 ms of the tonight view's 90 (docs/benchmarks.md, "House operations").
CREATE INDEX roll_call_lines_absent_idx ON app.roll_call_lines (stay_id) WHERE status = 'absent';
