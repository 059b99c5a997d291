#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "abipraya/core/log.h"
#include "http_internal.h"

/* After the stop, a handshake begun before new ones were refused (refuse_handshakes) has
 * this long for its last ACK to arrive and put it in the accept queue, where it is taken:
 * a round trip, microseconds from a proxy on the host, 200 ms covers most clients. */
#define HTTP_SETTLE_MS 200

static void set_accepting(struct http_server *srv, bool on)
{
	if (srv->accepting == on)
		return;
	srv->accepting = on;
	if (on)
		evconnlistener_enable(srv->listener);
	else
		evconnlistener_disable(srv->listener);
}

/* At the cap with no connection idle or lingering (every one has a request in progress or
 * is an event stream), new clients wait in the kernel's backlog until one ends or becomes idle. */
void http_server_update_accepting(struct http_server *srv)
{
	if (srv->listener && !srv->shutting_down)
		set_accepting(srv, !srv->paused && (srv->nconns < srv->cfg.max_connections ||
		                                    !TAILQ_EMPTY(&srv->idle) ||
		                                    !TAILQ_EMPTY(&srv->lingering)));
}

static void on_retry_accept(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	srv->paused = false;
	http_server_update_accepting(srv);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
	struct http_server *srv = arg;

	/* at the cap, a lingering connection or the one idle longest makes room (API.md §3). When
	 * the ones thought idle all turn out to have a request arriving, this one is over the cap
	 * for a while. After the stop, every connection queued is taken: closing the listener would
	 * reset it. */
	if (!srv->shutting_down && srv->nconns >= srv->cfg.max_connections)
		(void)http_conn_close_idlest(srv);
	http_conn_accept(srv, fd);
	http_server_update_accepting(srv);
}

/* With SO_REUSEPORT, closing a listening socket resets the connections queued on it, and
 * a handshake can complete between the last accept and the close. So at the stop, a
 * socket filter first drops the SYNs that would start new handshakes (the client sends
 * its SYN again a second later, and reaches another daemon on the port, or is refused);
 * handshakes already under way still complete (their ACKs pass), and the listener stays
 * open HTTP_SETTLE_MS so that they are accepted. The accepted connections inherit the
 * filter, which leaves their segments alone. */
static void refuse_handshakes(int fd)
{
	static const struct sock_filter drop_syn[] = {
	        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),    /* TCP flags */
	        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12), /* SYN | ACK */
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
	        BPF_STMT(BPF_RET | BPF_K, 0),          /* SYN alone: drop */
	        BPF_STMT(BPF_RET | BPF_K, 0xffffffff), /* anything else: keep whole */
	};
	struct sock_fprog prog = {sizeof(drop_syn) / sizeof(drop_syn[0]),
	                          (struct sock_filter *)drop_syn};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0)
		log_warn("could not stop new handshakes on the listener: %s, closing it anyway",
		         strerror(errno));
}

/* The settling time is over: what the accept queue holds is taken, then the listener
 * closes. A handshake under way now started before the filter, HTTP_SETTLE_MS ago. */
static void on_settled(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	int lfd = evconnlistener_get_fd(srv->listener);
	int cfd;

	while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		http_conn_accept(srv, cfd);
	evconnlistener_free(srv->listener);
	srv->listener = NULL;
}

/* Out of descriptors: the waiting client would otherwise sit in the backlog (and the
 * listener spin on the error). Free the spare descriptor, accept and close that client
 * at once, take the spare back, and pause accepting for a moment. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct http_server *srv = arg;
	struct timeval pause = {0, 100000};
	int err = errno;

	if ((err == EMFILE || err == ENFILE) && srv->spare_fd >= 0) {
		close(srv->spare_fd);
		int fd = accept(evconnlistener_get_fd(l), NULL, NULL);
		if (fd >= 0)
			close(fd);
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	log_warn("could not accept connection: %s, pausing", strerror(err));
	srv->paused = true;
	set_accepting(srv, false);
	event_add(srv->retry_accept, &pause);
}

static bool resolve(const char *host, int port, struct sockaddr_storage *ss, int *sslen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char portstr[16];

	snprintf(portstr, sizeof(portstr), "%d", port);
	if (getaddrinfo(*host ? host : NULL, portstr, &hints, &res) != 0)
		return false;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = (int)res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

struct http_server *http_server_create(struct event_base *base,
                                       const struct http_server_config *cfg, char *err,
                                       size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen;

	if (!resolve(cfg->host, cfg->port, &ss, &sslen)) {
		snprintf(err, errlen, "could not resolve listen address \"%s\"", cfg->host);
		return NULL;
	}
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = *cfg;
	LIST_INIT(&srv->conns);
	TAILQ_INIT(&srv->idle);
	TAILQ_INIT(&srv->lingering);
	srv->listener = evconnlistener_new_bind(base, on_accept, srv,
	                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	                                                LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT,
	                                        1024, (struct sockaddr *)&ss, sslen);
	if (!srv->listener) {
		snprintf(err, errlen, "could not listen on %s:%d: %s", cfg->host, cfg->port,
		         strerror(errno));
		free(srv);
		return NULL;
	}
	evconnlistener_set_error_cb(srv->listener, on_accept_error);
	srv->accepting = true;
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->retry_accept = evtimer_new(base, on_retry_accept, srv);
	srv->settle = evtimer_new(base, on_settled, srv);
	return srv;
}

void http_server_shutdown(struct http_server *srv)
{
	struct http_conn *c, *next;
	struct timeval settle = {0, HTTP_SETTLE_MS * 1000};

	srv->shutting_down = true;
	if (srv->listener) {
		refuse_handshakes(evconnlistener_get_fd(srv->listener));
		evconnlistener_enable(srv->listener); /* the queue is taken whatever the cap */
		srv->accepting = true;
		event_add(srv->settle, &settle);
	}
	for (c = LIST_FIRST(&srv->conns); c; c = next) {
		next = LIST_NEXT(c, link);
		http_conn_stop(c);
	}
}

int http_server_busy(const struct http_server *srv)
{
	const struct http_conn *c;
	int open = srv->listener != NULL;

	/* requests with the handler (their connection may be gone), and every connection still
	 * open after the stop: it is reading a request, flushing or lingering after an answer
	 * or new in its grace (http_conn_stop closed the idle ones), each with a deadline */
	LIST_FOREACH(c, &srv->conns, link)
	open += c->state != CONN_HANDLING;
	return srv->busy + open;
}

int http_server_connections(const struct http_server *srv)
{
	return srv->nconns;
}

void http_server_destroy(struct http_server *srv)
{
	if (!srv)
		return;
	while (!LIST_EMPTY(&srv->conns))
		http_conn_close(LIST_FIRST(&srv->conns));
	if (srv->listener)
		evconnlistener_free(srv->listener);
	if (srv->retry_accept)
		event_free(srv->retry_accept);
	if (srv->settle)
		event_free(srv->settle);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	free(srv);
}
