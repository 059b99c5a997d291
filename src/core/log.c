#include "abipraya/core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "abipraya/core/strbuf.h"

static atomic_int current_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool log_parse_level(const char *s, enum log_level *ret_level)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*ret_level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&current_level);
}

static void begin_line(struct strbuf *sb, enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char when[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strbuf_addf(sb, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\"", when, ts.tv_nsec / 1000000,
	            level_names[level]);
}

static void add_field(struct strbuf *sb, const char *name, const char *value)
{
	if (!value)
		return;
	strbuf_addf(sb, ",\"%s\":", name);
	strbuf_add_json_string(sb, value, strlen(value));
}

static void end_line(struct strbuf *sb)
{
	strbuf_adds(sb, "}\n");
	(void)!write(STDERR_FILENO, sb->data, sb->len);
	strbuf_finish(sb);
}

void log_msg(enum log_level level, const char *request_id, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	char msg[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	begin_line(&sb, level);
	add_field(&sb, "request_id", request_id);
	add_field(&sb, "msg", msg);
	end_line(&sb);
}

void log_request(const char *request_id, const char *method, const char *route, int status,
                 double duration_ms, const char *error_code)
{
	struct strbuf sb = STRBUF_INIT;
	enum log_level level = status >= 500 ? LOG_ERROR : LOG_INFO;

	if (!log_enabled(level))
		return;
	begin_line(&sb, level);
	add_field(&sb, "msg", "request");
	add_field(&sb, "request_id", request_id);
	add_field(&sb, "method", method);
	add_field(&sb, "route", route);
	strbuf_addf(&sb, ",\"status\":%d,\"duration_ms\":%.3f", status, duration_ms);
	add_field(&sb, "code", error_code);
	end_line(&sb);
}
