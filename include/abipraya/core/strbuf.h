/* A growable byte buffer, always NUL-terminated; used to build JSON, CSV and log lines. */
#ifndef ABIPRAYA_CORE_STRBUF_H
#define ABIPRAYA_CORE_STRBUF_H

#include <stddef.h>

#include "abipraya/core/xalloc.h"

struct strbuf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) ABIPRAYA_PRINTF(2, 3);
/* Appends s as a JSON string literal, quotes included. */
void strbuf_add_json_string(struct strbuf *sb, const char *s, size_t len);
/* Returns the contents ("" when empty); borrowed, valid until the next append. */
const char *strbuf_str(const struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_finish(struct strbuf *sb);

#endif
