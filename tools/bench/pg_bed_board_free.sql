SELECT status, body, etag FROM api.run(:th::bytea, 'beds.board', '{admin,manager,caseworker,staff}'::text[],
    'pgbench', NULL, NULL, jsonb_build_object('house_id', :house::text, 'state', 'free'), NULL);
