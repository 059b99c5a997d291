#include "abipraya/core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum cf_type { CF_STR, CF_INT, CF_LONG, CF_LISTEN, CF_LEVEL, CF_NETS };

struct cf_key {
	const char *section, *key;
	enum cf_type type;
	size_t offset;
	const char *def;
	long min, max; /* for numbers */
};

#define CF(sec, key, type, field, def, min, max)                                                   \
	{                                                                                          \
		sec, key, type, offsetof(struct config, field), def, min, max                      \
	}

/* Every key: one line each (pgbouncer's CF_ABS table). */
static const struct cf_key keys[] = {
        CF("server", "listen", CF_LISTEN, listen_host, "127.0.0.1:8080", 0, 0),
        CF("server", "workers", CF_INT, workers, "2", 1, 64),
        CF("server", "max_body", CF_LONG, max_body, "1048576", 1024, 1L << 30),
        CF("server", "tls_cert", CF_STR, tls_cert, "", 0, 0),
        CF("server", "tls_key", CF_STR, tls_key, "", 0, 0),
        CF("server", "static_dir", CF_STR, static_dir, "", 0, 0),
        CF("server", "request_timeout", CF_INT, request_timeout, "30", 1, 3600),
        CF("server", "max_connections", CF_INT, max_connections, "4096", 16, 1000000),
        CF("server", "trusted_proxies", CF_NETS, trusted_proxies, "", 0, 0),
        CF("database", "url", CF_STR, db_url, "postgresql:///abipraya", 0, 0),
        CF("database", "owner_url", CF_STR, db_owner_url, "", 0, 0),
        CF("database", "pool", CF_INT, db_pool, "4", 1, 256),
        CF("database", "timeout_ms", CF_INT, db_timeout_ms, "5000", 100, 600000),
        CF("database", "queue", CF_INT, db_queue, "1024", 1, 1000000),
        CF("security", "token_ttl", CF_INT, token_ttl, "43200", 60, 31536000),
        CF("security", "login_max_failures", CF_INT, login_max_failures, "5", 1, 1000),
        CF("security", "login_window", CF_INT, login_window, "900", 1, 86400),
        CF("security", "login_address_max_failures", CF_INT, login_address_max_failures, "100", 1,
           1000000),
        CF("retention", "former_resident_years", CF_INT, retention_years, "5", 1, 100),
        CF("log", "level", CF_LEVEL, log_level, "info", 0, 0),
        CF("audit", "key_file", CF_STR, audit_key_file, "", 0, 0),
};

static bool parse_long(const char *v, long min, long max, long *ret)
{
	char *end;

	if (!*v || (!isdigit((unsigned char)*v) && *v != '-'))
		return false;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*ret = n;
	return true;
}

static bool parse_listen(const char *v, struct config *cfg)
{
	const char *colon = strrchr(v, ':');
	long port;

	if (!colon || colon == v || !parse_long(colon + 1, 1, 65535, &port))
		return false;
	const char *host = v;
	size_t hlen = (size_t)(colon - v);
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	free(cfg->listen_host);
	cfg->listen_host = xstrndup(host, hlen);
	cfg->listen_port = (int)port;
	return true;
}

bool config_parse_address(const char *s, size_t len, unsigned char ret[16])
{
	char text[INET6_ADDRSTRLEN];
	unsigned char v4[4];

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, v4) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(ret, mapped, sizeof(mapped));
		memcpy(ret + 12, v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, text, ret) == 1;
}

static bool net_has(const struct config_net *net, const unsigned char addr[16])
{
	int full = net->prefix / 8, rest = net->prefix % 8;

	if (memcmp(net->addr, addr, (size_t)full) != 0)
		return false;
	return rest == 0 || ((net->addr[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool config_net_contains(const struct config_net *nets, size_t n, const unsigned char addr[16])
{
	for (size_t i = 0; i < n; i++)
		if (net_has(&nets[i], addr))
			return true;
	return false;
}

/* "ADDRESS" or "ADDRESS/BITS"; host bits past the prefix are cleared (10.1.2.3/8 is 10/8). */
static bool parse_net(const char *s, size_t len, struct config_net *ret)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	bool v4 = memchr(s, ':', alen) == NULL;
	long bits = v4 ? 32 : 128;

	if (!config_parse_address(s, alen, ret->addr))
		return false;
	if (slash) {
		char num[8];
		size_t nlen = len - alen - 1;
		if (nlen == 0 || nlen >= sizeof(num))
			return false;
		memcpy(num, slash + 1, nlen);
		num[nlen] = '\0';
		if (!isdigit((unsigned char)num[0]) || !parse_long(num, 0, v4 ? 32 : 128, &bits))
			return false;
	}
	ret->prefix = (int)bits + (v4 ? 96 : 0);
	for (int b = ret->prefix; b < 128; b++)
		ret->addr[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
	return true;
}

/* A comma-separated list of addresses and CIDR blocks; "" is none. */
static bool parse_nets(const char *v, struct config *cfg)
{
	struct config_net *nets = NULL;
	size_t n = 0;

	while (*v) {
		size_t len = strcspn(v, ",");
		const char *item = v;
		while (len && isspace((unsigned char)*item)) {
			item++;
			len--;
		}
		while (len && isspace((unsigned char)item[len - 1]))
			len--;
		nets = xrealloc(nets, (n + 1) * sizeof(*nets));
		if (!parse_net(item, len, &nets[n++])) {
			free(nets);
			return false;
		}
		v += strcspn(v, ",");
		if (*v == ',' && !*++v) { /* a trailing comma: an empty item */
			free(nets);
			return false;
		}
	}
	free(cfg->trusted_proxies);
	cfg->trusted_proxies = nets;
	cfg->ntrusted_proxies = n;
	return true;
}

/* Sets one key; returns a reason on failure, NULL on success. */
static const char *set_value(struct config *cfg, const struct cf_key *k, const char *v)
{
	void *field = (char *)cfg + k->offset;
	long n;

	switch (k->type) {
	case CF_STR:
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return NULL;
	case CF_INT:
		if (!parse_long(v, k->min, k->max, &n))
			return "not an integer in range";
		*(int *)field = (int)n;
		return NULL;
	case CF_LONG:
		if (!parse_long(v, k->min, k->max, &n))
			return "not an integer in range";
		*(long *)field = n;
		return NULL;
	case CF_LISTEN:
		return parse_listen(v, cfg) ? NULL : "expected host:port";
	case CF_LEVEL:
		return log_parse_level(v, (enum log_level *)field)
		               ? NULL
		               : "expected error, warn, info or debug";
	case CF_NETS:
		return parse_nets(v, cfg) ? NULL
		                          : "expected comma-separated IP addresses or CIDR blocks";
	}
	return "unknown type";
}

static const struct cf_key *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static bool known_section(const char *section)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].section, section) == 0)
			return true;
	return false;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Strips a trailing " # comment" (a '#' preceded by white space). */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static bool parse_line(struct config *cfg, char *line, char *section, size_t seclen,
                       const char *path, int lineno, char *err, size_t errlen)
{
	strip_comment(line);
	char *s = trim(line);
	if (!*s)
		return true;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1]) {
			snprintf(err, errlen, "%s:%d: malformed section header", path, lineno);
			return false;
		}
		*close = '\0';
		char *name = trim(s + 1);
		if (!known_section(name)) {
			snprintf(err, errlen, "%s:%d: [%s]: unknown section", path, lineno, name);
			return false;
		}
		snprintf(section, seclen, "%s", name);
		return true;
	}
	char *eq = strchr(s, '=');
	if (!eq) {
		snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
		return false;
	}
	*eq = '\0';
	char *key = trim(s), *value = trim(eq + 1);
	const struct cf_key *k = *section ? find_key(section, key) : NULL;
	if (!k) {
		snprintf(err, errlen, "%s:%d: %s%s%s: unknown key", path, lineno, section,
		         *section ? "." : "", key);
		return false;
	}
	const char *why = set_value(cfg, k, value);
	if (why) {
		snprintf(err, errlen, "%s:%d: %s.%s: %s: \"%.100s\"", path, lineno, section, key,
		         why, value);
		return false;
	}
	return true;
}

static bool load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, section[64] = "";
	size_t cap = 0;
	int lineno = 0;
	bool ok = true;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	while (ok && getline(&line, &cap, f) >= 0) { /* whole lines, however long */
		lineno++;
		ok = parse_line(cfg, line, section, sizeof(section), path, lineno, err, errlen);
	}
	free(line);
	fclose(f);
	return ok;
}

static bool load_env(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		char name[128];
		snprintf(name, sizeof(name), "ABIPRAYA_%s_%s", keys[i].section, keys[i].key);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		const char *v = getenv(name);
		if (!v)
			continue;
		const char *why = set_value(cfg, &keys[i], v);
		if (why) {
			snprintf(err, errlen, "environment %s: %s.%s: %s", name, keys[i].section,
			         keys[i].key, why);
			return false;
		}
	}
	return true;
}

bool config_load(const char *path, struct config *ret, char *err, size_t errlen)
{
	struct config cfg = {0};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (set_value(&cfg, &keys[i], keys[i].def))
			abort(); /* a default that does not parse is a programmer error */
	if ((path && !load_file(&cfg, path, err, errlen)) || !load_env(&cfg, err, errlen)) {
		config_finish(&cfg);
		return false;
	}
	if (!*cfg.tls_cert != !*cfg.tls_key) {
		snprintf(err, errlen, "%s: server.tls_cert and server.tls_key must be set together",
		         path ? path : "environment");
		config_finish(&cfg);
		return false;
	}
	*ret = cfg;
	return true;
}

void config_finish(struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].type == CF_STR) {
			char **field = (char **)((char *)cfg + keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
	free(cfg->listen_host);
	cfg->listen_host = NULL;
	free(cfg->trusted_proxies);
	cfg->trusted_proxies = NULL;
	cfg->ntrusted_proxies = 0;
}

/* The key of the audit chain (contract §18.12): audit.key_file's content less one trailing
 * newline. Read through the open descriptor, so that what is checked is what is read. */
bool config_audit_key(const struct config *cfg, char **ret_hex, char *err, size_t errlen)
{
	const char *path = cfg->audit_key_file;
	unsigned char key[AUDIT_KEY_MAX + 2];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	*ret_hex = NULL;
	if (!path || !*path)
		return true; /* unkeyed mode */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "audit.key_file %s: cannot open: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "audit.key_file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		         "audit.key_file %s: readable, writable or executable by group or others "
		         "(chmod 600 it)",
		         path);
		goto fail;
	}
	while (len < sizeof(key) && (n = read(fd, key + len, sizeof(key) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "audit.key_file %s: cannot read: %s", path,
			         strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len && key[len - 1] == '\n')
		len--;
	if (len < AUDIT_KEY_MIN || len > AUDIT_KEY_MAX) {
		snprintf(err, errlen, "audit.key_file %s: the key must be %d to %d bytes long",
		         path, AUDIT_KEY_MIN, AUDIT_KEY_MAX);
		goto fail;
	}
	*ret_hex = xmalloc(2 * len + 1);
	for (size_t i = 0; i < len; i++)
		snprintf(*ret_hex + 2 * i, 3, "%02x", key[i]);
	explicit_bzero(key, sizeof(key));
	return true;
fail:
	explicit_bzero(key, sizeof(key));
	if (fd >= 0)
		close(fd);
	return false;
}
