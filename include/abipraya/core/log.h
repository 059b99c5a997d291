/* JSON-lines logging on stderr. One line per call, written with a single write(2) so that
 * lines from several threads never interleave. Never pass passwords, tokens or NIKs. */
#ifndef ABIPRAYA_CORE_LOG_H
#define ABIPRAYA_CORE_LOG_H

#include <stdbool.h>

#include "abipraya/core/xalloc.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

bool log_parse_level(const char *s, enum log_level *ret_level);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

/* A message with an optional request id (NULL for none). */
void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
        ABIPRAYA_PRINTF(3, 4);

#define log_error(...) log_msg(LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, NULL, __VA_ARGS__)

/* The access log line of one request. */
void log_request(const char *request_id, const char *method, const char *route, int status,
                 double duration_ms, const char *error_code);

#endif
