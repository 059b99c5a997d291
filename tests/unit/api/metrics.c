/* The request counters cover a route table of any length: a route far down the table is
 * counted under its own pattern, not as "unmatched". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../../src/api/api_internal.h"
#include "../tap.h"
#include "abipraya/core/log.h"

enum { N = 200 };

static void complete(int route_index, int status)
{
	struct http_request req = {.method = "GET", .route_index = route_index};

	clock_gettime(CLOCK_MONOTONIC, &req.started);
	api_request_complete(&req, status, NULL);
}

int main(void)
{
	static char text[N][32];
	static struct api_route table[N];
	struct strbuf sb = STRBUF_INIT;

	log_set_level(LOG_ERROR); /* no access log lines */
	for (int i = 0; i < N; i++) {
		snprintf(text[i], sizeof(text[i]), "GET /r/%d", i);
		table[i].pattern = text[i];
	}
	api_metrics_init(table, N);
	complete(0, 200);
	complete(95, 200);
	complete(N - 1, 404);
	complete(N - 1, 404);
	complete(-1, 404);
	api_metrics_write_counters(&sb);
	const char *out = strbuf_str(&sb);
	CHECK(strstr(out, "{route=\"GET /r/0\",status=\"200\"} 1\n"));
	CHECK(strstr(out, "{route=\"GET /r/95\",status=\"200\"} 1\n"));
	CHECK(strstr(out, "{route=\"GET /r/199\",status=\"404\"} 2\n"));
	CHECK(strstr(out, "{route=\"unmatched\",status=\"404\"} 1\n"));
	CHECK(!strstr(out, "GET /r/1\""));
	strbuf_finish(&sb);
	api_metrics_finish();
	return tap_done("metrics");
}
