#include "abipraya/http/router.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"

/* More routes than any fixed table held (128 in the daemon, 95 in metrics): each matches. */
static void check_many_routes(void)
{
	enum { N = 300 };
	static char text[N][40];
	const char *patterns[N];
	char err[256];
	struct arena a;
	struct router_match m;

	for (int i = 0; i < N; i++) {
		snprintf(text[i], sizeof(text[i]), "%s /api/v1/r%d/{id}", i % 2 ? "POST" : "GET",
		         i / 2);
		patterns[i] = text[i];
	}
	struct router *r = router_create(patterns, N, err, sizeof(err));
	CHECK(r);
	arena_init(&a);
	router_match(r, "POST", "/api/v1/r149/x", &a, &m);
	CHECK(m.status == 0 && m.route == 299 && strcmp(m.params[0].value, "x") == 0);
	router_match(r, "GET", "/api/v1/r64/y", &a, &m);
	CHECK(m.status == 0 && m.route == 128);
	router_match(r, "GET", "/api/v1/r150/x", &a, &m);
	CHECK(m.status == 404);
	arena_finish(&a);
	router_destroy(r);
}

/* A pattern the router could not match as written is refused with its text. */
static void check_refused(const char *pattern)
{
	char err[256] = "";

	CHECK(!router_create(&pattern, 1, err, sizeof(err)));
	CHECK(strstr(err, pattern) != NULL);
}

int main(void)
{
	check_many_routes();
	check_refused("GET /a/b/c/d/e/f/g/h/i/j/k/l/m"); /* 13 segments */
	check_refused("GET /a/{b}/{c}/{d}/{e}/{f}");     /* 5 parameters */
	check_refused("OPTIONSX /a");                    /* method of 8 letters */
	check_refused("GET");                            /* no path */
	check_refused("GET a/b");                        /* not absolute */

	static const char *const patterns[] = {
	        "GET /api/v1/residents", "POST /api/v1/residents", "GET /api/v1/residents/{id}",
	        "POST /api/v1/stays/{stay_id}/checkout", "GET /api/v1/audit/verify"};
	char err[256];
	struct router *r = router_create(patterns, 5, err, sizeof(err));
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
	router_match(r, "GET", "/api/v1/a/b/c/d/e/f/g/h/i/j/k/l/m", &a, &m); /* past the segments */
	CHECK(m.status == 404);
	arena_finish(&a);
	router_destroy(r);
	return tap_done("router");
}
