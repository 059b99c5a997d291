/* TLS for the listener: TLS 1.2 and later, modern ciphers, through bufferevent_openssl. */
#ifndef ABIPRAYA_HTTP_TLS_H
#define ABIPRAYA_HTTP_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

/* Caller owns; free with SSL_CTX_free(). NULL with a reason in err on failure. */
SSL_CTX *http_tls_context(const char *cert_file, const char *key_file, char *err, size_t errlen);

#endif
