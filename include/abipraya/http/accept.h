/* Content negotiation (RFC 9110 §12.5.1): which of the media types a route offers an Accept
 * header asks for. A pure function over the header's text, so the unit tests and the fuzzer
 * call it as the daemon does. */
#ifndef ABIPRAYA_HTTP_ACCEPT_H
#define ABIPRAYA_HTTP_ACCEPT_H

#include <stddef.h>

/* The longest Accept header looked at; the rest of a longer one is ignored. */
#define HTTP_ACCEPT_MAX 1024

/* The index in offered[0..n) of the type the header names with the highest q above 0 (the
 * one named first among equals), or -1: then the resource's default, JSON. Only a type named
 * exactly (case-insensitive, parameters other than q ignored) counts; wildcard ranges
 * ("*" + "/" + "*", "text/" + "*") choose the default, so a generic client keeps JSON.
 * A malformed element is skipped; NULL or empty: -1. */
int http_accept_choose(const char *accept, const char *const *offered, size_t n);

#endif
