// The peer of tools/bench/run's `peer` scenario (issue 19, goal 1): what a plain Node.js
// service does with the same request, so that the daemon's GET resident has a yardstick
// besides PostgreSQL's. Fastify 5 and node-postgres, `node:cluster` with WORKERS worker
// processes (default 2, as the daemon's workers), each with a pool of POOL connections
// (default 4, as the daemon's pool per worker).
//
//   GET /residents/:id   one prepared SELECT of the resident's row (the row the daemon's GET
//                        reads), answered as JSON; 404 when there is none. No authentication,
//                        no stays, no role: it is the floor of a web service, not a twin.
//   GET /healthz         200, for tools/bench/run to wait on
//
// Environment: PGURL (required), PORT (default 8080), WORKERS, POOL. The primary prints
// "peer: N workers listening on PORT" once every worker listens.
'use strict';

const cluster = require('node:cluster');

const port = Number(process.env.PORT || 8080);
const workers = Number(process.env.WORKERS || 2);
const poolSize = Number(process.env.POOL || 4);

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) console.log(`peer: ${workers} workers listening on ${port}`);
  });
  // a worker that dies is a failed run, not something to paper over with a new one
  cluster.on('exit', (w, code, signal) => {
    console.error(`peer: worker ${w.process.pid} exited (${signal || code})`);
    process.exit(1);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  // SIGTERM from tools/bench/run: the workers go with the primary
  process.on('SIGTERM', () => {
    cluster.removeAllListeners('exit');
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const fastify = require('fastify')({ logger: false });
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: process.env.PGURL, max: poolSize });

  // a name makes node-postgres prepare the statement once per connection
  const byId = { name: 'resident_by_id', text: 'SELECT * FROM app.residents WHERE id = $1' };

  fastify.get('/residents/:id', async (req, reply) => {
    const { rows } = await pool.query({ ...byId, values: [req.params.id] });
    if (rows.length === 0) return reply.code(404).send({ error: 'not_found' });
    return rows[0];
  });
  fastify.get('/healthz', async () => ({ ok: true }));

  fastify.listen({ port, host: '127.0.0.1' }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
