-- The floor of GET /residents/{id}: one prepared primary-key SELECT, no auth, no JSON.
\set i random(0, 99999)
SELECT * FROM app.residents WHERE id = md5('r' || :i)::uuid;
