/* Password hashing with scrypt (OpenSSL EVP_PBE_scrypt): memory-hard, tens of
 * milliseconds of CPU per call, so call it off the event-loop threads (core/workq.h). */
#ifndef ABIPRAYA_CORE_PASSWORD_H
#define ABIPRAYA_CORE_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "abipraya/core/xalloc.h"

#define PASSWORD_MIN_LENGTH 12
#define PASSWORD_MAX_LENGTH 1024

/* Returns "scrypt$N$r$p$<salt hex>$<hash hex>"; caller owns, free(). NULL on failure. */
char *password_hash(const char *password, size_t len) ABIPRAYA_MUSTCHECK;
/* Compares in constant time. A NULL or malformed stored hash is checked against a dummy
 * hash, so that an unknown user costs the same time as a wrong password, and fails. */
bool password_verify(const char *password, size_t len, const char *stored) ABIPRAYA_MUSTCHECK;

#endif
