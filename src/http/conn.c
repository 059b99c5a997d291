/* One client connection: reads a request head and body with hard limits and deadlines,
 * hands the request to the handler, writes the answer, then reads the next one. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "abipraya/core/log.h"
#include "http_internal.h"

/* Tear-down after an error answer (RFC 9112 §9.6): closing while the client is still
 * sending its body would make the kernel answer that body with a reset, which can overtake
 * the answer and destroy it in the client's receive buffer (a client that sends its whole
 * body before reading, as many simple ones do, then sees a reset instead of the 413). So
 * the daemon shuts its sending side and reads and drops what still comes, until the client
 * closes or one of these bounds passes: enough for a client that reads while it sends
 * (it stops within a round trip) and for the rest of a body a few times the default
 * max_body (1 MiB) on a LAN, little for a hostile client to hold (at the cap a lingering
 * connection is the first to close). Nothing of it is buffered. */
#define HTTP_LINGER_SECS  2
#define HTTP_LINGER_BYTES (4 * 1024 * 1024)

static void process_input(struct http_conn *c);

static void arm_timer(struct http_conn *c, int seconds)
{
	struct timeval tv = {seconds, 0};
	event_add(c->timer, &tv);
}

/* The idle list is ordered by when each connection became idle, so that at the cap the one
 * idle longest is at its head (API.md §3). */
static void idle_enter(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	c->idle = true;
	TAILQ_INSERT_TAIL(&srv->idle, c, idle_link);
	http_server_update_accepting(srv);
}

static void idle_leave(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	if (!c->idle)
		return;
	c->idle = false;
	TAILQ_REMOVE(&srv->idle, c, idle_link);
	http_server_update_accepting(srv);
}

/* The first bytes of a request: the connection is busy, and the deadline for the whole
 * request runs from now. */
static void request_begins(struct http_conn *c)
{
	c->any_bytes = true;
	idle_leave(c);
	arm_timer(c, c->srv->cfg.request_timeout);
}

/* A request may have arrived in the same loop pass, unread yet: such a connection is
 * not idle, and closing it would reset the client. */
bool http_conn_idle(struct http_conn *c)
{
	char byte;

	if (!c->idle)
		return false;
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 &&
	    recv(bufferevent_getfd(c->bev), &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
		return true;
	request_begins(c);
	return false;
}

bool http_conn_close_idlest(struct http_server *srv)
{
	struct http_conn *c = TAILQ_FIRST(&srv->lingering);

	if (c) { /* its answer is out already */
		http_conn_close(c);
		return true;
	}
	while ((c = TAILQ_FIRST(&srv->idle)))
		if (http_conn_idle(c)) { /* else it left the list */
			http_conn_close(c);
			return true;
		}
	return false;
}

/* A plain socket is written at once, in the loop pass that produced the answer: arming
 * EV_WRITE for every response and disarming it after cost two epoll_ctl per request.
 * EV_WRITE is enabled only for what the socket did not take (and to let libevent report
 * a write error); on_write always runs from the loop, never inside the caller. TLS
 * connections leave writing to bufferevent_openssl. */
void http_conn_flush(struct http_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->tls || evbuffer_get_length(out) == 0)
		return;
	/* a bufferevent keeps the start of its output frozen against outside draining */
	evbuffer_unfreeze(out, 1);
	(void)evbuffer_write(out, bufferevent_getfd(c->bev));
	evbuffer_freeze(out, 1);
	if (evbuffer_get_length(out) == 0)
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
	else
		bufferevent_enable(c->bev, EV_WRITE);
}

void http_conn_close(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	if (c->req) {
		if (c->state == CONN_HANDLING) {
			/* the handler still owns it: tell it, and let it finish on its own */
			struct http_request *req = c->req;
			req->conn = NULL;
			c->req = NULL;
			if (req->on_close)
				req->on_close(req, req->on_close_arg);
		} else {
			http_request_free(c->req);
			c->req = NULL;
		}
	}
	LIST_REMOVE(c, link);
	srv->nconns--;
	idle_leave(c);
	if (c->state == CONN_LINGERING)
		TAILQ_REMOVE(&srv->lingering, c, idle_link);
	if (c->drain)
		event_free(c->drain); /* before the descriptor closes */
	if (c->bev)
		bufferevent_free(c->bev);
	event_free(c->timer);
	if (c->body)
		evbuffer_free(c->body);
	free(c);
	http_server_update_accepting(srv);
}

void http_conn_fail(struct http_conn *c, int status, const char *code, const char *lang)
{
	struct strbuf body = STRBUF_INIT;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	c->srv->cfg.problem(&body, status, code, lang);
	if (!c->req)
		c->req = http_request_new(c->srv, c);
	c->req->status = status;
	c->req->error_code = code;
	http_write_head(out, c->req, status, "application/problem+json", (long)body.len, true);
	evbuffer_add(out, body.data, body.len);
	strbuf_finish(&body);
	if (c->srv->cfg.complete)
		c->srv->cfg.complete(c->req, status, c->srv->cfg.arg);
	http_request_free(c->req);
	c->req = NULL;
	c->state = CONN_CLOSING;
	c->keep_alive = false;
	c->linger = true; /* the rest of the request may be on its way */
	bufferevent_disable(c->bev, EV_READ);
	arm_timer(c, 5); /* bound the flush to a client that does not read */
	http_conn_flush(c);
}

static void dispatch(struct http_conn *c)
{
	struct http_request *req = c->req;
	struct http_server *srv = c->srv;

	req->body_len = evbuffer_get_length(c->body);
	req->body = arena_alloc(&req->arena, req->body_len + 1);
	evbuffer_remove(c->body, req->body, req->body_len);
	req->body[req->body_len] = '\0';
	/* reading stays on (toggling it cost two epoll_ctl per request): what arrives
	 * meanwhile, a pipelined request, waits in the input buffer, bounded by its
	 * high-water mark, and the state machine leaves it alone until the answer is out */
	c->state = CONN_HANDLING;
	event_del(c->timer);
	srv->busy++;
	srv->cfg.handler(req, srv->cfg.arg);
}

static void split_target(struct http_request *req)
{
	const char *target = req->head.target;
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);

	req->path = arena_strndup(&req->arena, target, plen);
	req->query = q ? arena_strdup(&req->arena, q + 1) : NULL;
}

static bool sane_request_id(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.:", *p)))
			return false;
	return true;
}

/* The head is complete in the input buffer (head_len bytes, blank line excluded). */
static void start_request(struct http_conn *c, size_t head_len)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct http_request *req = http_request_new(c->srv, c);
	const char *code = NULL;

	c->req = req;
	req->head_buf = arena_alloc(&req->arena, head_len + 1);
	evbuffer_remove(in, req->head_buf, head_len);
	evbuffer_drain(in, 4);
	int status = http_parse_head(req->head_buf, head_len, &req->head, &code);
	const char *lang = status ? NULL : http_head_field(&req->head, "Accept-Language");
	if (status) {
		http_conn_fail(c, status, code, lang);
		return;
	}
	req->method = req->head.method;
	split_target(req);
	const char *rid = http_head_field(&req->head, "X-Request-Id");
	if (rid && sane_request_id(rid))
		snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
	c->keep_alive = req->head.keep_alive && !c->srv->shutting_down;
	c->head_request = strcmp(req->method, "HEAD") == 0;
	if (req->head.has_length &&
	    req->head.content_length > (unsigned long long)c->srv->cfg.max_body) {
		http_conn_fail(c, 413, "payload_too_large", lang);
		return;
	}
	if (req->head.expect_continue && (req->head.chunked || req->head.content_length > 0)) {
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		http_conn_flush(c);
	}
	if (req->head.chunked) {
		c->state = CONN_READ_CHUNK_SIZE;
	} else {
		c->want = req->head.has_length ? req->head.content_length : 0;
		c->state = CONN_READ_BODY;
	}
}

static bool read_head(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);

	if (avail == 0)
		return false;
	if (!c->any_bytes)
		request_begins(c);
	/* tolerate the empty lines some clients send between requests (RFC 9112 §2.2) */
	while (avail >= 2) {
		unsigned char two[2];
		evbuffer_copyout(in, two, 2);
		if (two[0] != '\r' || two[1] != '\n')
			break;
		evbuffer_drain(in, 2);
		avail -= 2;
	}
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0 || (size_t)end.pos > HTTP_MAX_HEAD) {
		if (avail > HTTP_MAX_HEAD) {
			http_conn_fail(c, 431, "bad_request", NULL);
			return false;
		}
		return false;
	}
	start_request(c, (size_t)end.pos);
	return c->state != CONN_CLOSING;
}

static bool read_body(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t take = avail < c->want ? avail : (size_t)c->want;

	evbuffer_remove_buffer(in, c->body, take);
	c->want -= take;
	if (c->want > 0)
		return false;
	if (c->state == CONN_READ_CHUNK_DATA) {
		c->state = CONN_READ_CHUNK_CRLF;
		return true;
	}
	dispatch(c);
	return false;
}

static const char *request_lang(const struct http_conn *c)
{
	return http_head_field(&c->req->head, "Accept-Language");
}

/* The next line of the input, CRLF-terminated and at most max bytes long (CRLF excluded):
 * 1 with *line (contiguous, valid until the input changes) and *len; 0 while it is not all
 * there; -1 when it is already longer than max. Only the first max + 2 bytes are searched,
 * so a client cannot make the daemon buffer or scan an endless line. */
static int next_line(struct evbuffer *in, size_t max, const char **line, size_t *len)
{
	size_t avail = evbuffer_get_length(in);
	struct evbuffer_ptr limit, eol;

	evbuffer_ptr_set(in, &limit, avail < max + 2 ? avail : max + 2, EVBUFFER_PTR_SET);
	eol = evbuffer_search_range(in, "\r\n", 2, NULL, &limit);
	if (eol.pos < 0)
		return avail >= max + 2 ? -1 : 0;
	*len = (size_t)eol.pos;
	*line = (const char *)evbuffer_pullup(in, eol.pos + 2);
	return 1;
}

/* A chunk-size line (parse.h has its grammar). Its size is checked against what the body
 * may still take before any of its data is read: 413 at once, nothing buffered. */
static bool read_chunk_size(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	/* no wrap: every chunk so far was at most the room left, so the body is <= max_body */
	unsigned long long room =
	        (unsigned long long)c->srv->cfg.max_body - evbuffer_get_length(c->body);
	unsigned long long size = 0;
	const char *line;
	size_t len;
	int got = next_line(in, HTTP_MAX_CHUNK_LINE, &line, &len);

	if (got == 0)
		return false;
	int status = got < 0 ? 400 : http_parse_chunk_size(line, len, room, &size);
	if (status) {
		http_conn_fail(c, status, status == 413 ? "payload_too_large" : "bad_request",
		               request_lang(c));
		return false;
	}
	evbuffer_drain(in, len + 2);
	if (size == 0) {
		c->trailer_len = 0;
		c->state = CONN_READ_TRAILER;
		return true;
	}
	c->want = size;
	c->state = CONN_READ_CHUNK_DATA;
	return true;
}

/* Chunk data is followed by CRLF and nothing else. */
static bool read_chunk_crlf(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char two[2];
	ev_ssize_t n = evbuffer_copyout(in, two, 2);

	if (n < 1)
		return false;
	if (two[0] != '\r' || (n == 2 && two[1] != '\n')) {
		http_conn_fail(c, 400, "bad_request", request_lang(c));
		return false;
	}
	if (n < 2)
		return false;
	evbuffer_drain(in, 2);
	c->state = CONN_READ_CHUNK_SIZE;
	return true;
}

/* The trailer section after the last chunk (RFC 9112 §7.1.2): field lines, read and
 * dropped (no trailer field means anything to the daemon), bounded like a head. */
static bool read_trailer(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const char *line;
	size_t len;
	int got;

	for (;;) {
		size_t left = c->trailer_len < HTTP_MAX_HEAD ? HTTP_MAX_HEAD - c->trailer_len : 0;
		got = next_line(in, left, &line, &len);
		if (got <= 0)
			break;
		if (len == 0) {
			evbuffer_drain(in, 2);
			dispatch(c);
			return false;
		}
		if (!http_field_line_ok(line, len)) {
			http_conn_fail(c, 400, "bad_request", request_lang(c));
			return false;
		}
		c->trailer_len += len + 2;
		evbuffer_drain(in, len + 2);
	}
	if (got < 0)
		http_conn_fail(c, 431, "bad_request", request_lang(c));
	return false;
}

static void process_input(struct http_conn *c)
{
	bool more = true;

	while (more) {
		switch (c->state) {
		case CONN_READ_HEAD:
			more = read_head(c);
			break;
		case CONN_READ_BODY:
		case CONN_READ_CHUNK_DATA:
			more = read_body(c);
			break;
		case CONN_READ_CHUNK_SIZE:
			more = read_chunk_size(c);
			break;
		case CONN_READ_CHUNK_CRLF:
			more = read_chunk_crlf(c);
			break;
		case CONN_READ_TRAILER:
			more = read_trailer(c);
			break;
		default:
			more = false;
		}
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	process_input(arg);
}

/* Lingering: what the client sends is read in pieces and dropped; its close, an error or
 * HTTP_LINGER_BYTES ends the connection. */
static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	char sink[16384];

	/* a fair share of the loop per pass: as much as a connection may buffer */
	for (size_t got = 0; got < HTTP_READ_AHEAD;) {
		ssize_t n = recv(fd, sink, sizeof(sink), 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0 || (c->drained += (size_t)n) >= HTTP_LINGER_BYTES) {
			http_conn_close(c);
			return;
		}
		got += (size_t)n;
	}
}

/* The error answer is written (over TLS: its records are with the kernel): the client
 * sees its end, and the daemon reads on without the bufferevent (over TLS, without
 * decrypting what it drops). */
static void linger(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	c->drain = event_new(srv->base, fd, EV_READ | EV_PERSIST, on_drain, c);
	/* shutdown fails when the client has gone already */
	if (!c->drain || shutdown(fd, SHUT_WR) != 0 || event_add(c->drain, NULL) != 0) {
		http_conn_close(c);
		return;
	}
	c->state = CONN_LINGERING;
	TAILQ_INSERT_TAIL(&srv->lingering, c, idle_link);
	arm_timer(c, HTTP_LINGER_SECS);
	http_server_update_accepting(srv);
}

/* The response left the output buffer. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (!c->tls)
		bufferevent_disable(c->bev, EV_WRITE); /* until a write leaves something over */
	if (c->state == CONN_CLOSING && c->linger) {
		linger(c);
	} else if (c->state == CONN_CLOSING) {
		http_conn_close(c);
	} else if (c->state == CONN_WRITING) {
		c->state = CONN_READ_HEAD;
		c->any_bytes = false;
		c->reused = true;
		arm_timer(c, c->srv->cfg.keepalive_timeout);
		idle_enter(c);
		if (c->srv->shutting_down && http_conn_idle(c))
			http_conn_close(c); /* kept alive and ready for the close (RFC 9112 §9.5) */
		else
			process_input(c); /* a pipelined request, or one sent before the stop */
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;
	bool answering = (c->state == CONN_HANDLING && !(c->req && c->req->streaming)) ||
	                 c->state == CONN_WRITING;

	/* a client that half-closes after its request still gets the answer, then the close */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && answering) {
		c->keep_alive = false;
		if (c->state == CONN_WRITING)
			c->state = CONN_CLOSING;
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		http_conn_close(c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	if (c->state == CONN_CLOSING || c->state == CONN_LINGERING ||
	    (c->state == CONN_WRITING && c->srv->shutting_down) ||
	    (c->state == CONN_READ_HEAD && !c->any_bytes))
		http_conn_close(c);
	else if (c->state < CONN_HANDLING)
		http_conn_fail(c, 408, "request_timeout", NULL);
}

void http_conn_stop(struct http_conn *c)
{
	c->keep_alive = false;
	if (c->state == CONN_LINGERING) {
		http_conn_close(c); /* its answer is out */
	} else if (c->state == CONN_WRITING) {
		/* on_write decides once the answer is out: the answer may be out already with
		 * only its callback pending, and the client may have sent its next request,
		 * which closing now would meet with a reset */
		arm_timer(c, 5);
	} else if (http_conn_idle(c)) {
		/* a kept-alive client is ready for the close (RFC 9112 §9.5); a new one has
		 * connected to send a request, maybe sent already: it is answered */
		if (c->reused)
			http_conn_close(c);
		else
			arm_timer(c, HTTP_STOP_GRACE);
	} else if (c->state == CONN_HANDLING && c->req && c->req->streaming && c->req->on_close) {
		c->req->on_close(c->req, c->req->on_close_arg); /* ends the stream */
	}
}

void http_conn_response_queued(struct http_conn *c)
{
	c->req = NULL;
	c->srv->busy--;
	c->state = c->keep_alive && !c->srv->shutting_down ? CONN_WRITING : CONN_CLOSING;
	if (c->state == CONN_CLOSING)
		arm_timer(c, 5);
	/* on_write fires when the output buffer drains to its low-water mark (0) */
	http_conn_flush(c);
}

void http_conn_accept(struct http_server *srv, evutil_socket_t fd)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));
	int opts = BEV_OPT_CLOSE_ON_FREE;

	if (srv->cfg.ssl) {
		SSL *ssl = SSL_new(srv->cfg.ssl);
		c->bev = ssl ? bufferevent_openssl_socket_new(srv->base, fd, ssl,
		                                              BUFFEREVENT_SSL_ACCEPTING, opts)
		             : NULL;
		if (c->bev)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		c->tls = true;
	} else {
		c->bev = bufferevent_socket_new(srv->base, fd, opts);
	}
	if (!c->bev) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->srv = srv;
	c->body = evbuffer_new();
	c->timer = evtimer_new(srv->base, on_timeout, c);
	c->state = CONN_READ_HEAD;
	LIST_INSERT_HEAD(&srv->conns, c, link);
	srv->nconns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_READ_AHEAD);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (!c->tls)
		bufferevent_disable(c->bev, EV_WRITE); /* written directly: http_conn_flush */
	arm_timer(c, srv->shutting_down ? HTTP_STOP_GRACE : srv->cfg.request_timeout);
	idle_enter(c); /* a new connection is idle until its first byte */
}
