/* libFuzzer harness: http_parse_chunk_size and http_field_line_ok over an arbitrary line
 * (as the connection hands it over: the bytes before CRLF). The first byte picks the room
 * left in the body (a power of two, or all of 64 bits). Checks the answer against a plain
 * reading of the leading hex digits. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t hex_prefix(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && strchr("0123456789abcdefABCDEF", s[n]) && s[n])
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned long long room = data[0] == 0xff ? ~0ULL : 1ULL << (data[0] % 64);
	size_t len = size - 1;
	/* a copy of exactly len bytes: ASan catches any read past the line */
	char *line = malloc(len ? len : 1);
	unsigned long long got = 0xdeadbeef;

	if (!line)
		return 0;
	memcpy(line, data + 1, len);
	int status = http_parse_chunk_size(line, len, room, &got);
	size_t digits = hex_prefix(line, len);
	assert(status == 0 || status == 400 || status == 413);
	if (digits == 0 || digits > 16 || len > HTTP_MAX_CHUNK_LINE)
		assert(status == 400);
	if (status != 400) {
		char num[17];
		memcpy(num, line, digits);
		num[digits] = '\0';
		unsigned long long want = strtoull(num, NULL, 16);
		if (status == 0)
			assert(got == want && want <= room);
		else
			assert(want > room && got == 0xdeadbeef);
		/* an accepted line holds no control character but HTAB: no CR, LF or NUL */
		for (size_t i = 0; i < len; i++)
			assert((unsigned char)line[i] >= 0x20 || line[i] == '\t');
	} else {
		assert(got == 0xdeadbeef);
	}
	if (digits == len && digits >= 1 && digits <= 16)
		assert(status != 400); /* bare digits are always a size */
	if (http_field_line_ok(line, len)) {
		const char *colon = memchr(line, ':', len);
		assert(colon && colon > line);
		assert(!memchr(line, '\r', len) && !memchr(line, '\n', len) &&
		       !memchr(line, '\0', len));
	}
	free(line);
	return 0;
}
