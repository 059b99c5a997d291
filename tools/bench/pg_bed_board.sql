-- pgbench twin of bed_board.lua: the daemon's statement for a board it keeps, with the tag
-- of its copy (-D tag=..., the house's current tag: the database answers without a body).
SELECT status, body, etag, tag FROM api.direct_beds_board(:th::bytea, '{admin,manager,caseworker,staff}'::text[],
    jsonb_build_object('house_id', :house::text), :tag::uuid);
