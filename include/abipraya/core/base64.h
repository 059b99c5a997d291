/* base64url without padding (RFC 4648 §5), for tokens. */
#ifndef ABIPRAYA_CORE_BASE64_H
#define ABIPRAYA_CORE_BASE64_H

#include <stddef.h>

/* Writes the encoding of n bytes and a NUL into out, which holds 4 * (n + 2) / 3 + 1 bytes. */
void base64url_encode(const unsigned char *in, size_t n, char *out);

#endif
