/* The HTTP/1.1 edge of one worker: a listener (SO_REUSEPORT, so every worker and every
 * daemon may share the port), connections on bufferevents (plain or OpenSSL), request
 * framing with hard limits, responses and event streams. It knows nothing of routes,
 * JSON or the database: a request goes to one handler, which answers it, now or later.
 *
 * Why not evhttp: libevent 2.1 (Debian 12) answers oversized bodies, malformed requests
 * and unknown HTTP versions itself, with HTML bodies and without a hook to change them;
 * the contract wants problem+json, 505 and smuggling checks. See README "Architecture". */
#ifndef ABIPRAYA_HTTP_SERVER_H
#define ABIPRAYA_HTTP_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "abipraya/core/arena.h"
#include "abipraya/core/strbuf.h"
#include "abipraya/http/parse.h"

struct event_base;
struct http_server;
struct http_conn;
struct http_request;

typedef void http_handler_fn(struct http_request *req, void *arg);
/* Called once per finished request, on the worker thread (access log, metrics). */
typedef void http_complete_fn(struct http_request *req, int status, void *arg);
/* Renders a problem body for protocol errors found before any handler ran. */
typedef void http_problem_fn(struct strbuf *out, int status, const char *code, const char *lang);

struct http_server_config {
	const char *host;
	int port;
	long max_body;
	int request_timeout;   /* seconds to receive a whole request */
	int keepalive_timeout; /* seconds an idle connection stays open */
	int max_connections;
	SSL_CTX *ssl; /* NULL: plain HTTP */
	http_handler_fn *handler;
	http_complete_fn *complete;
	http_problem_fn *problem;
	void *arg;
};

struct http_out_header {
	const char *name, *value;
};

struct http_request {
	struct arena arena;     /* lives as long as the request */
	struct http_conn *conn; /* NULL once the client is gone */
	struct http_server *server;
	struct http_head head; /* fields point into head_buf */
	char *head_buf;
	const char *method;
	char *path;  /* raw (still percent-encoded), without the query */
	char *query; /* raw, or NULL */
	char *body;  /* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	char request_id[65];
	struct timespec started;
	struct http_out_header *out;
	size_t nout, outcap;
	bool streaming;
	bool done;
	int status;
	const char *route;      /* route pattern, for logs and metrics */
	int route_index;        /* the handler's tag for metrics; -1 before routing */
	const char *error_code; /* problem code of an error answer, for the log */
	void (*on_close)(struct http_request *req, void *arg); /* client went away */
	void *on_close_arg;
	void *ctx; /* the handler's */
};

/* Binds and starts accepting. NULL (and errno-ish message logged by the caller) on failure. */
struct http_server *http_server_create(struct event_base *base,
                                       const struct http_server_config *cfg, char *err,
                                       size_t errlen);
/* Stops accepting: refuses new handshakes, takes what the kernel queued (for a short
 * settling time, then the listener closes), closes idle kept-alive connections; requests
 * in flight finish, and new connections get a short grace for theirs. */
void http_server_shutdown(struct http_server *srv);
/* After the stop, what is still to wait for: requests with a handler (event streams
 * included), connections still open (each has a deadline), the listener while it settles. */
int http_server_busy(const struct http_server *srv);
int http_server_connections(const struct http_server *srv);
void http_server_destroy(struct http_server *srv);

/* Case-insensitive request header lookup; borrowed, NULL when absent. */
const char *http_request_header(const struct http_request *req, const char *name);
/* The client socket's peer address; false when the client is gone. */
bool http_request_peer(const struct http_request *req, struct sockaddr_storage *ret);
/* Adds a response header; both strings are copied into the request arena. */
void http_add_header(struct http_request *req, const char *name, const char *value);
/* Sends the whole response and ends the request; req is freed: do not touch it after. */
void http_reply(struct http_request *req, int status, const char *content_type, const char *body,
                size_t len);
/* The same for a body that is sent without a copy: release(arg) runs once the connection is
 * done with it (at once when it is not sent), on this worker's thread. */
void http_reply_shared(struct http_request *req, int status, const char *content_type,
                       const char *body, size_t len, void (*release)(void *arg), void *arg);
/* Event streams: begin sends the head (chunked); write returns false when the client is
 * gone or too far behind (then end the stream); end finishes and frees the request. */
void http_stream_begin(struct http_request *req, int status, const char *content_type);
bool http_stream_write(struct http_request *req, const char *data, size_t len);
void http_stream_end(struct http_request *req);
/* Milliseconds since the request's head was read. */
double http_request_elapsed_ms(const struct http_request *req);

#endif
