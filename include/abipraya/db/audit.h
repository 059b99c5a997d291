/* The audit chain's key and format on the database side (contract §18.12). Blocking libpq:
 * for the command line and the startup check only, never on an event loop. */
#ifndef ABIPRAYA_DB_AUDIT_H
#define ABIPRAYA_DB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "abipraya/core/xalloc.h"

/* URL (a URI or key=value connection string) as a key=value string that also sets the
 * session's abipraya.audit_key to KEY_HEX (appended to its options: -c, no round trip), for
 * every connection the daemon and the command line open. NULL when libpq cannot parse URL
 * (the caller says so without printing the result, which holds the key). Caller frees. */
char *db_url_with_key(const char *url, const char *key_hex) ABIPRAYA_MUSTCHECK;

/* migrate, after the migrations: moves the chain to format 2 and to the configured key
 * (api.audit_rechain, one transaction). note gets what was done ("" when nothing). False
 * with a message in err when the chain does not verify or has another key. */
bool db_audit_rechain(const char *url, char *note, size_t notelen, char *err, size_t errlen);

/* serve, before it listens: false with the reason in err when the chain is not in format 2
 * or its last record does not verify under the configured mode and key. */
bool db_audit_startup_check(const char *url, char *err, size_t errlen);

#endif
