/* The configuration: an INI file (API.md §2) with ABIPRAYA_<SECTION>_<KEY> environment
 * overrides, parsed into an immutable struct. One table in config.c lists every key. */
#ifndef ABIPRAYA_CORE_CONFIG_H
#define ABIPRAYA_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "abipraya/core/log.h"
#include "abipraya/core/xalloc.h"

/* An address or CIDR block. IPv4 is held IPv4-mapped (::ffff:a.b.c.d, prefix + 96), so
 * that one comparison serves both families and a mapped IPv6 peer compares as IPv4. */
struct config_net {
	unsigned char addr[16];
	int prefix; /* bits, 0..128 */
};

struct config {
	char *listen_host; /* [server] listen = host:port */
	int listen_port;
	int workers;    /* event-loop threads */
	long max_body;  /* bytes */
	char *tls_cert; /* "" when unset */
	char *tls_key;
	char *static_dir;                   /* the staff console's files; "" disables it */
	int request_timeout;                /* seconds a client has to send a whole request */
	int max_connections;                /* per worker */
	struct config_net *trusted_proxies; /* whose X-Forwarded-For is believed */
	size_t ntrusted_proxies;
	char *db_url;      /* [database] */
	int db_pool;       /* connections per worker */
	int db_timeout_ms; /* deadline of one database call */
	int db_queue;      /* requests that may wait for a connection, per worker */
	/* the schema owner's URL, for migrate (18.12); "" = single-role mode */
	char *db_owner_url;
	int token_ttl; /* [security] seconds */
	int login_max_failures;
	int login_window; /* seconds */
	int login_address_max_failures;
	int retention_years; /* [retention] former_resident_years (contract §18.7) */
	enum log_level log_level;
	char *audit_key_file; /* [audit] key_file; "" = unkeyed */
};

#define AUDIT_KEY_MIN 32
#define AUDIT_KEY_MAX 4096

/* Loads the file (NULL: defaults only) and the environment into *ret. On failure returns
 * false and writes "FILE:LINE: key: reason" into err. Free with config_finish(). */
bool config_load(const char *path, struct config *ret, char *err, size_t errlen) ABIPRAYA_MUSTCHECK;
void config_finish(struct config *cfg);

/* The audit chain's key (contract §18.12) as lower-case hex into *ret_hex (caller frees;
 * NULL when audit.key_file is empty: unkeyed mode). False with a message naming the file
 * (never the key) when the file is missing, not a regular file, open to group or others,
 * or its key shorter than AUDIT_KEY_MIN bytes. */
bool config_audit_key(const struct config *cfg, char **ret_hex, char *err,
                      size_t errlen) ABIPRAYA_MUSTCHECK;

/* An IPv4 or IPv6 address (len bytes of text, no brackets or port) into ret, IPv4-mapped. */
bool config_parse_address(const char *s, size_t len, unsigned char ret[16]) ABIPRAYA_MUSTCHECK;
/* True when addr lies in one of the n blocks. */
bool config_net_contains(const struct config_net *nets, size_t n, const unsigned char addr[16]);

#endif
