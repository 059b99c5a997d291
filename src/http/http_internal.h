/* Shared inside the http layer only. */
#ifndef ABIPRAYA_HTTP_INTERNAL_H
#define ABIPRAYA_HTTP_INTERNAL_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <sys/queue.h>

#include "abipraya/http/server.h"

#define HTTP_MAX_HEAD       16384
#define HTTP_READ_AHEAD     (64 * 1024)  /* input buffered while a request is handled */
#define HTTP_STREAM_BACKLOG (256 * 1024) /* bytes an event-stream client may lag */
#define HTTP_STOP_GRACE     2 /* seconds a new connection has for its request after the stop */

enum conn_state {
	CONN_READ_HEAD,
	CONN_READ_BODY,
	CONN_READ_CHUNK_SIZE,
	CONN_READ_CHUNK_DATA,
	CONN_READ_CHUNK_CRLF, /* the CRLF that ends a chunk's data */
	CONN_READ_TRAILER,
	CONN_HANDLING,  /* the handler has the request */
	CONN_WRITING,   /* the response is being flushed */
	CONN_CLOSING,   /* flush, then close (or linger) */
	CONN_LINGERING, /* an error answer is out, the sending side shut: input is dropped */
};

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	struct event *timer;
	enum conn_state state;
	struct http_request *req; /* being read, or with the handler */
	struct evbuffer *body;
	unsigned long long want; /* bytes left of the body or the current chunk */
	size_t trailer_len;      /* bytes of the trailer section read so far */
	bool keep_alive;
	bool tls;
	bool head_request;
	bool any_bytes;      /* something of the current request has arrived */
	bool reused;         /* a request was answered: idle now means kept alive, not new */
	bool idle;           /* on srv->idle: no request in progress (so no event stream either) */
	bool linger;         /* the answer ends a request maybe not all read: linger after it */
	struct event *drain; /* while lingering: reads and drops what the client sends */
	size_t drained;      /* bytes dropped so far */
	LIST_ENTRY(http_conn) link;
	TAILQ_ENTRY(http_conn) idle_link; /* on srv->idle, or srv->lingering when lingering */
};

struct http_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *retry_accept;
	int spare_fd; /* given up to accept-and-close a client when descriptors run out */
	struct http_server_config cfg;
	struct event *settle; /* after the stop: the listener's queue is emptied, then it closes */
	LIST_HEAD(, http_conn) conns;
	TAILQ_HEAD(, http_conn) idle;      /* idle connections, the one idle longest first */
	TAILQ_HEAD(, http_conn) lingering; /* oldest first; at the cap they go before the idle */
	int nconns;
	int busy;
	bool accepting; /* the listener is enabled */
	bool paused;    /* accepting failed (no descriptors): retry_accept resumes */
	bool shutting_down;
};

/* Enables or disables the listener after a connection opened, closed, or became idle or
 * busy: before the stop it accepts while there is room under max_connections or an idle
 * connection to make room with (API.md §3). */
void http_server_update_accepting(struct http_server *srv);

void http_conn_accept(struct http_server *srv, evutil_socket_t fd);
void http_conn_close(struct http_conn *c);
/* No request in progress and no bytes of one waiting in the socket (it looks, and a
 * connection whose request is arriving stops being idle). */
bool http_conn_idle(struct http_conn *c);
/* At the cap: closes a lingering connection, else the one idle longest; false when none
 * is either. */
bool http_conn_close_idlest(struct http_server *srv);
/* The server stops: ends the connection now if idle or lingering, else once its request is
 * answered. */
void http_conn_stop(struct http_conn *c);
/* The response to this request is written; continue with the next or close. */
void http_conn_response_queued(struct http_conn *c);
/* Sends what the output buffer holds (call after adding to it). */
void http_conn_flush(struct http_conn *c);
/* Protocol error before a handler saw the request: answer and close. */
void http_conn_fail(struct http_conn *c, int status, const char *code, const char *lang);
void http_request_free(struct http_request *req);
struct http_request *http_request_new(struct http_server *srv, struct http_conn *c);
void http_write_head(struct evbuffer *out, struct http_request *req, int status,
                     const char *content_type, long content_length, bool close);
const char *http_reason(int status);

#endif
