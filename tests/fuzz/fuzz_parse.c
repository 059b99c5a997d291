/* libFuzzer harness: http_parse_head over an arbitrary request head (the bytes before the
 * blank line, as the connection code hands them over: len bytes plus room for the NUL
 * the parser writes at buf[len]). Checks the result's invariants. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	struct http_head h;
	const char *code = NULL;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int status = http_parse_head(buf, size, &h, &code);
	if (status == 0) {
		assert(h.method && h.target && *h.method && *h.target);
		assert(h.minor >= 0 && h.minor <= 9);
		assert(h.nfields <= HTTP_MAX_HEADERS);
		assert(!(h.chunked && h.has_length));
		for (size_t i = 0; i < h.nfields; i++) {
			assert(h.fields[i].name && *h.fields[i].name && h.fields[i].value);
			/* every name and value lies inside the buffer */
			assert(h.fields[i].name >= buf && h.fields[i].name < buf + size + 1);
			assert(h.fields[i].value >= buf && h.fields[i].value <= buf + size);
			assert(http_head_field(&h, h.fields[i].name) != NULL);
		}
		assert(http_head_field(&h, "Host") || h.minor == 0);
		(void)http_head_field(&h, "X-Request-Id");
	} else {
		assert(status == 400 || status == 431 || status == 501 || status == 505);
		assert(code && *code);
	}
	free(buf);
	return 0;
}
