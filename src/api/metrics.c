/* /metrics in the Prometheus text format, and the access log. Counters are process-wide
 * atomics; gauges are read from each worker's mirrors. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "abipraya/core/log.h"
#include "api_internal.h"

static const int tracked_status[] = {200, 201, 204, 400, 401, 403, 404, 405, 408, 409,
                                     412, 413, 415, 422, 429, 431, 500, 501, 503, 505};
#define NSTATUS (sizeof(tracked_status) / sizeof(tracked_status[0]) + 1) /* + other */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* One row per route of the table, and a last one for "unmatched". */
static const struct api_route *routes;
static size_t nroutes;
static atomic_ullong (*counts)[NSTATUS];
static atomic_ullong hist[NBUCKETS + 1];
static atomic_ullong hist_sum_us;
static struct api_worker *workers;
static int nworkers;

void api_metrics_init(const struct api_route *table, size_t n)
{
	routes = table;
	nroutes = n;
	counts = xcalloc(n + 1, sizeof(*counts)); /* zero bytes are zero counters */
}

void api_metrics_finish(void)
{
	free(counts);
	counts = NULL;
	routes = NULL;
	nroutes = 0;
}

void api_metrics_set_workers(struct api_worker *w, int n)
{
	workers = w;
	nworkers = n;
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (tracked_status[i] == status)
			return i;
	return NSTATUS - 1;
}

void api_request_complete(struct http_request *req, int status, void *arg)
{
	struct api_worker *w = arg;
	double ms = http_request_elapsed_ms(req);
	size_t route = req->route_index >= 0 && (size_t)req->route_index < nroutes
	                       ? (size_t)req->route_index
	                       : nroutes;
	size_t b = 0;

	atomic_fetch_add_explicit(&counts[route][status_slot(status)], 1, memory_order_relaxed);
	while (b < NBUCKETS && ms / 1000.0 > buckets[b])
		b++;
	atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_sum_us, (unsigned long long)(ms * 1000),
	                          memory_order_relaxed);
	log_request(req->request_id, req->method, req->route ? req->route : "-", status, ms,
	            status >= 400 ? req->error_code : NULL);
	if (w) {
		atomic_store(&w->m_connections, http_server_connections(w->http));
		atomic_store(&w->m_db_in_use, db_pool_in_use(w->db));
		atomic_store(&w->m_db_up, db_pool_up(w->db));
		atomic_store(&w->m_db_waiting, db_pool_waiting(w->db));
		atomic_store(&w->m_db_pipelined, (long)db_pool_pipelined(w->db));
	}
}

void api_metrics_write_counters(struct strbuf *sb)
{
	strbuf_adds(sb,
	            "# HELP abipraya_http_requests_total Requests answered, by route and status.\n"
	            "# TYPE abipraya_http_requests_total counter\n");
	for (size_t r = 0; r <= nroutes; r++) {
		const char *route = r < nroutes ? routes[r].pattern : "unmatched";
		for (size_t s = 0; s < NSTATUS; s++) {
			unsigned long long n = atomic_load(&counts[r][s]);
			if (!n)
				continue;
			strbuf_adds(sb, "abipraya_http_requests_total{route=");
			strbuf_add_json_string(sb, route, strlen(route));
			if (s < NSTATUS - 1)
				strbuf_addf(sb, ",status=\"%d\"} %llu\n", tracked_status[s], n);
			else
				strbuf_addf(sb, ",status=\"other\"} %llu\n", n);
		}
	}
}

static void write_histogram(struct strbuf *sb)
{
	unsigned long long cumulative = 0;

	strbuf_adds(
	        sb,
	        "# HELP abipraya_http_request_duration_seconds Time from request head to answer.\n"
	        "# TYPE abipraya_http_request_duration_seconds histogram\n");
	for (size_t b = 0; b <= NBUCKETS; b++) {
		cumulative += atomic_load(&hist[b]);
		if (b < NBUCKETS)
			strbuf_addf(
			        sb,
			        "abipraya_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			        buckets[b], cumulative);
		else
			strbuf_addf(
			        sb,
			        "abipraya_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			        cumulative);
	}
	strbuf_addf(sb, "abipraya_http_request_duration_seconds_sum %.6f\n",
	            (double)atomic_load(&hist_sum_us) / 1e6);
	strbuf_addf(sb, "abipraya_http_request_duration_seconds_count %llu\n", cumulative);
}

/* The sum over the workers of the mirror at OFFSET in struct api_worker. */
static void write_sum(struct strbuf *sb, const char *name, const char *type, const char *help,
                      size_t offset)
{
	long total = 0;
	for (int i = 0; i < nworkers; i++)
		total += atomic_load((atomic_long *)((char *)&workers[i] + offset));
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %ld\n", name, help, name, type, name,
	            total);
}

static void write_gauge(struct strbuf *sb, const char *name, const char *help, size_t offset)
{
	write_sum(sb, name, "gauge", help, offset);
}

void api_metrics_handler(struct http_request *req, struct api_worker *w,
                         const struct api_route *route, const struct router_match *m)
{
	struct strbuf sb = STRBUF_INIT;

	api_metrics_write_counters(&sb);
	write_histogram(&sb);
	write_gauge(&sb, "abipraya_http_connections", "Open client connections.",
	            offsetof(struct api_worker, m_connections));
	write_gauge(&sb, "abipraya_db_pool_in_use", "Database connections running a statement.",
	            offsetof(struct api_worker, m_db_in_use));
	write_gauge(&sb, "abipraya_db_pool_up", "Database connections ready or running.",
	            offsetof(struct api_worker, m_db_up));
	write_gauge(&sb, "abipraya_db_pool_waiting", "Calls waiting for a database connection.",
	            offsetof(struct api_worker, m_db_waiting));
	write_gauge(&sb, "abipraya_event_streams", "Open event streams.",
	            offsetof(struct api_worker, m_streams));
	write_sum(&sb, "abipraya_db_pipelined_total", "counter",
	          "Statements sent while others were in flight on the same connection.",
	          offsetof(struct api_worker, m_db_pipelined));
	strbuf_addf(&sb,
	            "# HELP abipraya_answers_rendered_total Answers the database rendered afresh "
	            "for the daemon to keep (bed boards).\n"
	            "# TYPE abipraya_answers_rendered_total counter\n"
	            "abipraya_answers_rendered_total %lu\n",
	            answer_cache_puts(w->shared->answers));
	http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_str(&sb), sb.len);
	strbuf_finish(&sb);
}
