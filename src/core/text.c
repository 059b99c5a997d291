#include "abipraya/core/text.h"

#include <ctype.h>
#include <string.h>

long utf8_length(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	long n = 0;

	while (p < end) {
		unsigned char c = *p;
		size_t extra;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			extra = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if ((size_t)(end - p) <= extra)
			return -1;
		for (size_t i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates and values past U+10FFFF */
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		p += extra + 1;
		n++;
	}
	return n;
}

bool text_has_control(const char *s, size_t len, bool allow_lines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x7f)
			return true;
		if (c < 0x20 && !(allow_lines && (c == '\n' || c == '\r' || c == '\t')))
			return true;
	}
	return false;
}

/* Length of the white-space code point at p (0 when none): ASCII space and tab, U+00A0,
 * U+2000–U+200A, U+3000. */
static size_t space_at(const unsigned char *p, size_t left)
{
	if (left >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[0] == '\r'))
		return 1;
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && p[2] <= 0x8a)
		return 3;
	if (left >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	return 0;
}

static size_t space_before(const unsigned char *start, const unsigned char *end)
{
	for (size_t k = 1; k <= 3 && (size_t)(end - start) >= k; k++)
		if (space_at(end - k, k) == k)
			return k;
	return 0;
}

const char *text_trim(const char *s, size_t len, size_t *ret_len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t k;

	while (p < end && (k = space_at(p, (size_t)(end - p))))
		p += k;
	while (end > p && (k = space_before(p, end)))
		end -= k;
	*ret_len = (size_t)(end - p);
	return (const char *)p;
}

bool text_uuid(const char *s, size_t len, char ret[37])
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!isxdigit((unsigned char)c)) {
			return false;
		}
		ret[i] = (char)tolower((unsigned char)c);
	}
	ret[36] = '\0';
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool valid_ymd(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

bool text_date(const char *s, size_t len)
{
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	return valid_ymd(num(s, 4), num(s + 5, 2), num(s + 8, 2));
}

bool text_time_hm(const char *s, size_t len)
{
	if (len != 5 || s[2] != ':')
		return false;
	int h = num(s, 2), m = num(s + 3, 2);
	return h >= 0 && h <= 23 && m >= 0 && m <= 59;
}

bool text_datetime(const char *s, size_t len)
{
	/* YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM) */
	if (len < 20 || !text_date(s, 10) || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return false;
	if (s[13] != ':' || s[16] != ':')
		return false;
	int h = num(s + 11, 2), m = num(s + 14, 2), sec = num(s + 17, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return false;
	size_t i = 19;
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || i - start > 9)
			return false;
	}
	if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z'))
		return true;
	if (i + 6 != len || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return false;
	int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
	return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

bool text_digits(const char *s, size_t len, size_t n)
{
	if (len != n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool text_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *ret)
{
	size_t i = 0;
	bool neg = false;
	int64_t v = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || len - i > 18)
		return false;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	v = neg ? -v : v;
	if (v < min || v > max)
		return false;
	*ret = v;
	return true;
}

void text_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool text_percent_decode(char *s, size_t *len, bool form)
{
	size_t o = 0;
	for (size_t i = 0; i < *len; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= *len)
				return false;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			s[o++] = form && c == '+' ? ' ' : c;
		}
	}
	s[o] = '\0';
	*len = o;
	return true;
}
