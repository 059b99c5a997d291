/* Parsing of an HTTP/1.x request head (request line and header fields), as a pure
 * function over a buffer: the connection code feeds it, the unit tests and the fuzzer too. */
#ifndef ABIPRAYA_HTTP_PARSE_H
#define ABIPRAYA_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEADERS 100

struct http_field {
	const char *name; /* NUL-terminated, inside the parsed buffer */
	const char *value;
};

struct http_head {
	const char *method, *target;
	int minor; /* HTTP/1.<minor> */
	struct http_field fields[HTTP_MAX_HEADERS];
	size_t nfields;
	/* derived from the fields */
	bool chunked;
	bool has_length;
	unsigned long long content_length;
	bool keep_alive;
	bool expect_continue;
};

/* Parses the head in buf[0..len) (the bytes before the blank line, which the caller
 * has found). Modifies buf in place (NUL-terminates tokens). Returns 0, or the status
 * to answer: 400 (malformed, conflicting framing), 431 (too many fields), 501 (transfer
 * coding other than chunked), 505 (HTTP version other than 1.x). *ret_code is the
 * problem code for that status. */
int http_parse_head(char *buf, size_t len, struct http_head *ret, const char **ret_code);

/* Case-insensitive lookup; NULL when absent. */
const char *http_head_field(const struct http_head *h, const char *name);

#endif
