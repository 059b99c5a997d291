-- abipraya: the stays of a house by check-out time, for the exits of the programme report
-- (contract §16.9, sql/api/19_programme_report.sql): the span's GiST index found them too, but
-- it walks every stay overlapping the period (46 ms of a 100 ms report on the benchmark).
CREATE INDEX stays_house_checked_out_idx ON app.stays (house_id, checked_out_at) WHERE checked_out_at IS NOT NULL;
