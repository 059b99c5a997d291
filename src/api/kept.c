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

bool held_prepare(struct api_worker *w, struct held_ask *ask, const char *op, const char *args)
{
	if (!ask->key) /* the same on every send of the call: a render may point to it */
		ask->key = xasprintf("%s %s", op, args);
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

void held_note_event(struct api_worker *w, const char *event, const char *house_id)
{
	char needle[64];

	if (strncmp(event, "stay.", 5) != 0 && strncmp(event, "bed.", 4) != 0)
		return; /* movements and violations are not on the board */
	snprintf(needle, sizeof(needle), "\"house_id\":\"%s\"", house_id);
	answer_cache_drop(w->shared->answers, needle);
}
