#include "abipraya/core/password.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abipraya/core/text.h"

/* N = 2^15, r = 8, p = 1: 32 MiB and about 60-100 ms of CPU on this class of machine. */
#define SCRYPT_N      32768
#define SCRYPT_R      8
#define SCRYPT_P      1
#define SALT_LEN      16
#define HASH_LEN      32
#define SCRYPT_MAXMEM (64UL * 1024 * 1024)

static bool derive(const char *pw, size_t len, const unsigned char *salt, uint64_t n, uint64_t r,
                   uint64_t p, unsigned char out[HASH_LEN])
{
	return EVP_PBE_scrypt(pw, len, salt, SALT_LEN, n, r, p, SCRYPT_MAXMEM, out, HASH_LEN) == 1;
}

char *password_hash(const char *password, size_t len)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    !derive(password, len, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, hash))
		return NULL;
	text_hex(salt, SALT_LEN, salt_hex);
	text_hex(hash, HASH_LEN, hash_hex);
	OPENSSL_cleanse(hash, sizeof(hash));
	return xasprintf("scrypt$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P, salt_hex, hash_hex);
}

static bool unhex(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (unsigned char)v;
	}
	return true;
}

static bool parse_stored(const char *stored, uint64_t *n, uint64_t *r, uint64_t *p,
                         unsigned char salt[SALT_LEN], unsigned char hash[HASH_LEN])
{
	char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];

	if (!stored ||
	    sscanf(stored, "scrypt$%" SCNu64 "$%" SCNu64 "$%" SCNu64 "$%32[0-9a-f]$%64[0-9a-f]", n,
	           r, p, salt_hex, hash_hex) != 5)
		return false;
	if (strlen(salt_hex) != 2 * SALT_LEN || strlen(hash_hex) != 2 * HASH_LEN)
		return false;
	/* refuse parameters that would let a tampered row exhaust memory or time */
	if (*n < 1024 || *n > (1u << 20) || *r < 1 || *r > 32 || *p < 1 || *p > 4)
		return false;
	return unhex(salt_hex, SALT_LEN, salt) && unhex(hash_hex, HASH_LEN, hash);
}

bool password_verify(const char *password, size_t len, const char *stored)
{
	unsigned char salt[SALT_LEN] = {0}, want[HASH_LEN] = {0}, got[HASH_LEN];
	uint64_t n = SCRYPT_N, r = SCRYPT_R, p = SCRYPT_P;
	bool known = parse_stored(stored, &n, &r, &p, salt, want);

	if (!known) {
		n = SCRYPT_N;
		r = SCRYPT_R;
		p = SCRYPT_P;
	}
	if (!derive(password, len, salt, n, r, p, got))
		return false;
	bool same = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return known && same;
}
