-- The free beds as the mixed workload meets them: its writes change the house's board
-- between most reads, so the database renders it (no tag).
SELECT status, body, etag, tag FROM api.direct_beds_board(:th::bytea, '{admin,manager,caseworker,staff}'::text[],
    jsonb_build_object('house_id', :house::text, 'state', 'free'), NULL::uuid);
