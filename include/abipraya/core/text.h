/* Checks and conversions of untrusted text: UTF-8, control characters, UUIDs, dates,
 * RFC 3339 times. Pure functions, unit-tested through this header. */
#ifndef ABIPRAYA_CORE_TEXT_H
#define ABIPRAYA_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of code points of valid UTF-8, or -1 when s is not valid UTF-8. */
long utf8_length(const char *s, size_t len);
/* True when s holds a control character (U+0000–U+001F, U+007F); allow_lines lets
 * LF, CR and tab through. */
bool text_has_control(const char *s, size_t len, bool allow_lines);
/* Trims ASCII and Unicode white space at both ends; returns the new start and length. */
const char *text_trim(const char *s, size_t len, size_t *ret_len);
/* A UUID in 8-4-4-4-12 hex form; writes its lower-case form (37 bytes) into ret. */
bool text_uuid(const char *s, size_t len, char ret[37]);
/* A calendar date YYYY-MM-DD that exists. */
bool text_date(const char *s, size_t len);
/* An RFC 3339 date-time with a time zone (Z or ±HH:MM) that exists. */
bool text_datetime(const char *s, size_t len);
/* HH:MM, 00:00–23:59. */
bool text_time_hm(const char *s, size_t len);
/* Only ASCII digits, exactly n of them. */
bool text_digits(const char *s, size_t len, size_t n);
/* Parses a decimal integer of the whole string into [min, max]. */
bool text_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *ret);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void text_hex(const unsigned char *in, size_t n, char *out);
/* Percent-decodes (and '+' as space when form is true) in place; false on a bad escape
 * or an encoded NUL. */
bool text_percent_decode(char *s, size_t *len, bool form);

#endif
