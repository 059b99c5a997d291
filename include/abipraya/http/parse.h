/* Parsing of an HTTP/1.x request head (request line and header fields) and of the lines
 * of a chunked body, as pure functions over a buffer: the connection code feeds them, the
 * unit tests and the fuzzers too. */
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

/* True when line[0..len) (no CRLF) is a field line, `name: value` (RFC 9110 §5): a token,
 * a colon, a value without control characters but HTAB. Trailer fields are checked so. */
bool http_field_line_ok(const char *line, size_t len);

/* The longest chunk-size line accepted (CRLF excluded): 16 digits and room for extensions.
 * A longer one is refused before it is all read. */
#define HTTP_MAX_CHUNK_LINE 4096

/* Parses a chunk-size line (RFC 9112 §7.1) in line[0..len), without its CRLF: 1-16 HEXDIG,
 * then only chunk extensions (`;name` or `;name=token` or `;name="quoted"`, whitespace only
 * around `;` and `=`); no sign, no `0x`, no other space. Returns 0 with *ret_size; 400 when
 * the line is not that; 413 when the size is more than room (what the body may still
 * take), a comparison that cannot overflow. */
int http_parse_chunk_size(const char *line, size_t len, unsigned long long room,
                          unsigned long long *ret_size);

/* Case-insensitive lookup; NULL when absent. */
const char *http_head_field(const struct http_head *h, const char *name);

#endif
