#include "abipraya/http/router.h"

#include <string.h>

#include "../tap.h"

int main(void)
{
	static const char *const patterns[] = {
	        "GET /api/v1/residents", "POST /api/v1/residents", "GET /api/v1/residents/{id}",
	        "POST /api/v1/stays/{stay_id}/checkout", "GET /api/v1/audit/verify"};
	struct router *r = router_create(patterns, 5);
	struct arena a;
	struct router_match m;

	arena_init(&a);
	router_match(r, "GET", "/api/v1/residents", &a, &m);
	CHECK(m.status == 0 && m.route == 0);
	router_match(r, "HEAD", "/api/v1/residents", &a, &m);
	CHECK(m.status == 0 && m.route == 0);
	router_match(r, "DELETE", "/api/v1/residents", &a, &m);
	CHECK(m.status == 405 && strcmp(m.allow, "GET, HEAD, POST") == 0);
	router_match(r, "GET", "/api/v1/residents/abc%20d", &a, &m);
	CHECK(m.status == 0 && m.route == 2 && m.nparams == 1 &&
	      strcmp(m.params[0].name, "id") == 0 && strcmp(m.params[0].value, "abc d") == 0);
	router_match(r, "POST", "/api/v1/stays/x/checkout", &a, &m);
	CHECK(m.status == 0 && m.route == 3 && strcmp(m.params[0].name, "stay_id") == 0);
	router_match(r, "GET", "/api/v1/audit/verify", &a, &m);
	CHECK(m.status == 0 && m.route == 4);
	router_match(r, "GET", "/api/v1/residents/%00", &a, &m);
	CHECK(m.status == 404);
	router_match(r, "GET", "/api/v1/residents/..%2F..%2Fetc", &a, &m);
	CHECK(m.status == 404);
	router_match(r, "GET", "/api/v1/no-such-thing", &a, &m);
	CHECK(m.status == 404);
	router_match(r, "GET", "/api/v1/residents/", &a, &m);
	CHECK(m.status == 404);
	arena_finish(&a);
	router_destroy(r);
	return tap_done("router");
}
