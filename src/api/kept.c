/* The calls of ROUTE_CACHED routes (the bed board): which held answer goes with a request,
 * what to answer when the database says it is current or renders a new one, and one
 * render at a time per answer on a worker. When the consoles of a house all fetch its board
 * at the same moment (each refetches on the event of a change), the first call of a worker
 * that has no current copy asks the database to render it and the others wait for that one,
 * then ask whether its copy is current, as any request does: an event that changes a
 * house's board drops the house's copies, so that such a burst finds none and waits,
 * instead of asking the database for the same render once per console. Correctness never
 * rests on the events: every request is answered from what its own statement says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/text.h"
#include "api_internal.h"

/* A render in flight on one worker, asked by one call; the calls that wait for it. */
struct render {
	TAILQ_ENTRY(render) link;
	const char *key; /* the asking call's */
	TAILQ_HEAD(, held_ask) waiting;
};

static struct render *find_render(struct api_worker *w, const char *key)
{
	for (struct render *r = TAILQ_FIRST(&w->renders); r; r = TAILQ_NEXT(r, link))
		if (strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

/* The key begins with the op and a space (held_note_event drops by that prefix). The role
 * is not known before the statement answers; the token names it, so a route whose body
 * depends on the role is held per token: never shared, but never another caller's. */
char *held_key(const struct api_route *route, const char *args, const unsigned char token_hash[32])
{
	char hex[65];

	if (!(route->flags & ROUTE_HELD_PER_CALLER))
		return xasprintf("%s %s", route->op, args);
	text_hex(token_hash, 32, hex);
	return xasprintf("%s %s %s", route->op, args, hex);
}

bool held_prepare(struct api_worker *w, struct held_ask *ask, const struct api_route *route,
                  const char *args, const unsigned char token_hash[32])
{
	if (!ask->key) /* the same on every send of the call: a render may point to it */
		ask->key = held_key(route, args, token_hash);
	answer_unref(ask->answer);
	ask->answer = answer_cache_get(w->shared->answers, ask->key);
	if (ask->answer || ask->render)
		return true;
	struct render *r = find_render(w, ask->key);
	if (r) {
		TAILQ_INSERT_TAIL(&r->waiting, ask, wait_link);
		return false;
	}
	r = xcalloc(1, sizeof(*r));
	r->key = ask->key;
	TAILQ_INIT(&r->waiting);
	TAILQ_INSERT_TAIL(&w->renders, r, link);
	ask->render = r;
	return true;
}

static void release_answer(void *arg)
{
	answer_unref(arg);
}

void held_reply(struct api_worker *w, struct held_ask *ask, struct http_request *req,
                const PGresult *res)
{
	struct answer *a = ask->answer;

	ask->answer = NULL;
	if (!PQgetisnull(res, 0, 1)) {
		answer_unref(a);
		a = answer_cache_put(w->shared->answers, ask->key, PQgetvalue(res, 0, 3),
		                     PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	}
	if (!a) { /* the database says the copy is current, but none was sent */
		api_reply_problem(req, 500, "internal_error", NULL, NULL);
		return;
	}
	http_reply_shared(req, 200, "application/json", a->body, a->len, release_answer, a);
}

void held_finish(struct api_worker *w, struct held_ask *ask)
{
	struct render *r = ask->render;
	struct held_ask *next;

	answer_unref(ask->answer);
	ask->answer = NULL;
	if (r) {
		TAILQ_REMOVE(&w->renders, r, link);
		/* each waiting call is sent again: now with the answer just held, if the render
		 * succeeded (else the first of them asks for the render in turn) */
		while ((next = TAILQ_FIRST(&r->waiting))) {
			TAILQ_REMOVE(&r->waiting, next, wait_link);
			next->resume(next);
		}
		free(r);
		ask->render = NULL;
	}
	free(ask->key);
	ask->key = NULL;
}

/* A name of drop_on: the event itself, or its family when it ends in a dot. */
static bool drops_on(const struct api_route *route, const char *event)
{
	for (const char *const *d = route->drop_on; d && *d; d++) {
		size_t len = strlen(*d);
		if (len && (*d)[len - 1] == '.' ? strncmp(event, *d, len) == 0
		                                : strcmp(event, *d) == 0)
			return true;
	}
	return false;
}

void held_note_event(struct api_worker *w, const char *event, const char *house_id)
{
	char prefix[128], needle[64];

	snprintf(needle, sizeof(needle), "\"house_id\":\"%s\"", house_id);
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct api_route *r = &api_routes[i];
		if (!(r->flags & ROUTE_CACHED) || !drops_on(r, event))
			continue;
		snprintf(prefix, sizeof(prefix), "%s ", r->op);
		answer_cache_drop(w->shared->answers, prefix, needle);
	}
}
