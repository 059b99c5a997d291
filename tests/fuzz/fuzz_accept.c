/* libFuzzer harness: an Accept header through http_accept_choose with the representations a
 * route may offer besides JSON. The first byte picks how many of them are offered. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/http/accept.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const offered[] = {"text/csv", "text/html", "application/pdf"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] % 4;
	/* exactly the header's bytes, so that a read past its end is caught */
	char *header = malloc(size);
	if (!header)
		return 0;
	memcpy(header, data + 1, size - 1);
	header[size - 1] = '\0';
	int chosen = http_accept_choose(header, offered, n);
	assert(chosen >= -1 && chosen < (int)n);
	/* a type chosen is named in the header (case aside) */
	if (chosen >= 0)
		assert(strcasestr(header, offered[chosen]));
	free(header);
	return 0;
}
