/* Requests and responses: the only place that writes a status line. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abipraya/core/text.h"
#include "http_internal.h"

static _Thread_local unsigned char id_prefix[4];
static _Thread_local uint32_t id_counter;
static _Thread_local bool id_seeded;

struct http_request *http_request_new(struct http_server *srv, struct http_conn *c)
{
	struct http_request *req = xcalloc(1, sizeof(*req));
	unsigned char rnd[8];

	arena_init(&req->arena);
	req->server = srv;
	req->conn = c;
	req->method = "-";
	req->route_index = -1;
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	/* a random prefix per thread and a counter: unique without a syscall per request */
	if (!id_seeded) {
		if (RAND_bytes(id_prefix, sizeof(id_prefix)) != 1)
			memset(id_prefix, 0, sizeof(id_prefix));
		id_seeded = true;
	}
	id_counter++;
	memcpy(rnd, id_prefix, 4);
	memcpy(rnd + 4, &id_counter, 4);
	text_hex(rnd, sizeof(rnd), req->request_id);
	return req;
}

void http_request_free(struct http_request *req)
{
	if (!req)
		return;
	arena_finish(&req->arena);
	free(req);
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	return http_head_field(&req->head, name);
}

bool http_request_peer(const struct http_request *req, struct sockaddr_storage *ret)
{
	socklen_t len = sizeof(*ret);

	return req->conn &&
	       getpeername(bufferevent_getfd(req->conn->bev), (struct sockaddr *)ret, &len) == 0;
}

void http_add_header(struct http_request *req, const char *name, const char *value)
{
	if (req->nout == req->outcap) {
		size_t cap = req->outcap ? req->outcap * 2 : 8;
		struct http_out_header *n = arena_alloc(&req->arena, cap * sizeof(*n));
		if (req->nout)
			memcpy(n, req->out, req->nout * sizeof(*n));
		req->out = n;
		req->outcap = cap;
	}
	req->out[req->nout].name = arena_strdup(&req->arena, name);
	req->out[req->nout].value = arena_strdup(&req->arena, value);
	req->nout++;
}

const char *http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static bool has_out_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nout; i++)
		if (strcasecmp(req->out[i].name, name) == 0)
			return true;
	return false;
}

/* The security headers of every answer, API and console alike (API.md §3): the one list.
 * What a browser would do with a document it should not show: sniff no type, frame it
 * nowhere, send no referrer from it, run and load nothing from it. A handler's own header
 * of a name replaces the default (the console's pages have their CSP). */
#define SECURITY_HEADERS(X)                                                                        \
	X("X-Content-Type-Options", "nosniff")                                                     \
	X("X-Frame-Options", "DENY")                                                               \
	X("Referrer-Policy", "no-referrer")                                                        \
	X("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
#define HEADER_NAME(name, value)      name,
#define HEADER_LINE(name, value)      name ": " value "\r\n"
#define HEADER_LINE_ITEM(name, value) HEADER_LINE(name, value),
static const char *const security_names[] = {SECURITY_HEADERS(HEADER_NAME)};
static const char *const security_lines[] = {SECURITY_HEADERS(HEADER_LINE_ITEM)};
/* the common case, no header of the handler's own among them: one block, one copy */
static const char security_block[] = SECURITY_HEADERS(HEADER_LINE);

static void write_security_headers(struct evbuffer *out, const struct http_request *req)
{
	size_t n = sizeof(security_names) / sizeof(security_names[0]);
	bool own = false;

	for (size_t i = 0; i < n && req->nout; i++)
		own = own || has_out_header(req, security_names[i]);
	if (!own)
		evbuffer_add(out, security_block, sizeof(security_block) - 1);
	for (size_t i = 0; own && i < n; i++)
		if (!has_out_header(req, security_names[i]))
			evbuffer_add(out, security_lines[i], strlen(security_lines[i]));
	/* a TLS listener speaks nothing else: tell the browser to come back only over TLS */
	static const char hsts[] = "Strict-Transport-Security: max-age=31536000\r\n";
	if (req->server->cfg.ssl)
		evbuffer_add(out, hsts, sizeof(hsts) - 1);
}

void http_write_head(struct evbuffer *out, struct http_request *req, int status,
                     const char *content_type, long content_length, bool close)
{
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	if (content_type)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	if (content_length >= 0)
		evbuffer_add_printf(out, "Content-Length: %ld\r\n", content_length);
	else if (content_length == -1)
		evbuffer_add(out, "Transfer-Encoding: chunked\r\n", 28);
	evbuffer_add_printf(out, "X-Request-Id: %s\r\n", req->request_id);
	write_security_headers(out, req);
	if ((!req->path || strncmp(req->path, "/api/", 5) == 0) &&
	    !has_out_header(req, "Cache-Control"))
		evbuffer_add(out, "Cache-Control: no-store\r\n", 25);
	for (size_t i = 0; i < req->nout; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", req->out[i].name, req->out[i].value);
	if (close)
		evbuffer_add(out, "Connection: close\r\n", 19);
	else if (req->head.minor == 0)
		evbuffer_add(out, "Connection: keep-alive\r\n", 24);
	evbuffer_add(out, "\r\n", 2);
}

static void finish(struct http_request *req, int status)
{
	struct http_server *srv = req->server;

	req->status = status;
	req->done = true;
	if (srv->cfg.complete)
		srv->cfg.complete(req, status, srv->cfg.arg);
	if (req->conn) {
		req->conn->req = NULL;
		http_conn_response_queued(req->conn);
	} else {
		srv->busy--;
	}
	http_request_free(req);
}

struct shared_body {
	void (*release)(void *arg);
	void *arg;
};

static void release_shared(const void *data, size_t len, void *extra)
{
	struct shared_body *sb = extra;
	sb->release(sb->arg);
	free(sb);
}

/* release NULL: the body is copied (http_reply). */
void http_reply_shared(struct http_request *req, int status, const char *content_type,
                       const char *body, size_t len, void (*release)(void *arg), void *arg)
{
	struct http_conn *c = req->conn;
	bool sent = false;

	if (c) {
		struct evbuffer *out = bufferevent_get_output(c->bev);
		bool close = !c->keep_alive || req->server->shutting_down;
		c->keep_alive = !close;
		http_write_head(out, req, status, body ? content_type : NULL,
		                status == 204 || status == 304 ? -2 : (long)len, close);
		if (body && len && !c->head_request && status != 204 && status != 304) {
			if (!release) {
				evbuffer_add(out, body, len);
			} else {
				struct shared_body *sb = xmalloc(sizeof(*sb));
				*sb = (struct shared_body){release, arg};
				evbuffer_add_reference(out, body, len, release_shared, sb);
				sent = true;
			}
		}
	}
	if (release && !sent)
		release(arg);
	finish(req, status);
}

void http_reply(struct http_request *req, int status, const char *content_type, const char *body,
                size_t len)
{
	http_reply_shared(req, status, content_type, body, len, NULL, NULL);
}

void http_stream_begin(struct http_request *req, int status, const char *content_type)
{
	struct http_conn *c = req->conn;

	req->streaming = true;
	req->status = status;
	if (c) {
		http_write_head(bufferevent_get_output(c->bev), req, status, content_type, -1,
		                false);
		http_conn_flush(c);
	}
}

bool http_stream_write(struct http_request *req, const char *data, size_t len)
{
	struct http_conn *c = req->conn;

	if (!c)
		return false;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) > HTTP_STREAM_BACKLOG)
		return false;
	evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	evbuffer_add(out, "\r\n", 2);
	http_conn_flush(c);
	return true;
}

void http_stream_end(struct http_request *req)
{
	struct http_conn *c = req->conn;

	if (c) {
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
		c->keep_alive = false; /* a stream ends its connection */
	}
	finish(req, req->status);
}

double http_request_elapsed_ms(const struct http_request *req)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - req->started.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - req->started.tv_nsec) / 1e6;
}
