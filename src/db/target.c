/* Where a pool connects: database.url as libpq parses it, so that each connection attempt
 * can start at another host of a multi-host URL. libpq tries the hosts in order within one
 * attempt, but in non-blocking mode nothing bounds its wait for a host that accepts and
 * never answers: the pool's deadline ends the whole attempt, and an attempt that always
 * began at that host would never reach the next. So attempt k begins at host k. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define MAX_HOSTS 16

enum { LIST_HOST, LIST_HOSTADDR, LIST_PORT, NLISTS };
static const char *const list_keywords[NLISTS] = {"host", "hostaddr", "port"};

struct db_target {
	const char **keywords, **values; /* the options set, NULL-terminated */
	int nhosts;
	int slot[NLISTS];               /* index of each list in values, or -1 */
	char *given[NLISTS];            /* each list as given */
	char *items[NLISTS][MAX_HOSTS]; /* each list split at its commas (a copy) */
	int nitems[NLISTS];
	char *joined[NLISTS]; /* the rotated list of the current attempt */
};

static int split(char *text, char **items)
{
	int n = 0;
	for (char *p = text; n < MAX_HOSTS; p++) {
		items[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p = '\0';
	}
	return n;
}

struct db_target *db_target_parse(const char *url)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	struct db_target *t = NULL;
	size_t n = 0;

	if (!opts)
		return NULL; /* libpq will say what is wrong with it */
	for (PQconninfoOption *o = opts; o->keyword; o++)
		n += o->val != NULL;
	t = xcalloc(1, sizeof(*t));
	t->keywords = xcalloc(n + 1, sizeof(*t->keywords));
	t->values = xcalloc(n + 1, sizeof(*t->values));
	for (int l = 0; l < NLISTS; l++)
		t->slot[l] = -1;
	n = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		t->keywords[n] = xstrdup(o->keyword);
		t->values[n] = xstrdup(o->val);
		for (int l = 0; l < NLISTS; l++) {
			if (strcmp(o->keyword, list_keywords[l]) == 0) {
				t->slot[l] = (int)n;
				t->given[l] = (char *)t->values[n];
				t->nitems[l] = split(xstrdup(o->val), t->items[l]);
			}
		}
		n++;
	}
	PQconninfoFree(opts);
	t->nhosts = t->nitems[LIST_HOST] > t->nitems[LIST_HOSTADDR] ? t->nitems[LIST_HOST]
	                                                            : t->nitems[LIST_HOSTADDR];
	return t;
}

void db_target_free(struct db_target *t)
{
	if (!t)
		return;
	for (int l = 0; l < NLISTS; l++) {
		if (t->slot[l] >= 0)
			t->values[t->slot[l]] = t->given[l];
		if (t->nitems[l])
			free(t->items[l][0]); /* the split copy */
		free(t->joined[l]);
	}
	for (int i = 0; t->keywords[i]; i++) {
		free((char *)t->keywords[i]);
		free((char *)t->values[i]);
	}
	free(t->keywords);
	free(t->values);
	free(t);
}

/* The list l rotated to begin at item k (a list of one item, a port for all hosts, as is). */
static const char *rotated(struct db_target *t, int l, int k)
{
	int n = t->nitems[l];
	size_t len = 0;

	if (n < 2 || k == 0)
		return t->given[l];
	for (int i = 0; i < n; i++)
		len += strlen(t->items[l][i]) + 1;
	free(t->joined[l]);
	t->joined[l] = xmalloc(len);
	t->joined[l][0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(t->joined[l], ",");
		strcat(t->joined[l], t->items[l][(k + i) % n]);
	}
	return t->joined[l];
}

PGconn *db_target_connect(struct db_target *t, unsigned first_host)
{
	int k = t->nhosts > 1 ? (int)(first_host % (unsigned)t->nhosts) : 0;

	for (int l = 0; l < NLISTS; l++)
		if (t->slot[l] >= 0)
			t->values[t->slot[l]] = rotated(t, l, k);
	return PQconnectStartParams(t->keywords, t->values, 0);
}
