-- pgbench twin of alerts.lua: GET /api/v1/alerts as the daemon runs it (api.run), the
-- manager's token (-D mth=\x...).
SELECT status, length(body::text) FROM api.run(:mth::bytea, 'alerts.list', '{admin,manager,caseworker,staff}'::text[],
    'pgbench', NULL, NULL, '{}'::jsonb, NULL);
