#include "abipraya/http/parse.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"

static int parse(const char *text, struct http_head *h)
{
	static char buf[70000];
	const char *code;
	size_t len = strlen(text);
	memcpy(buf, text, len + 1);
	return http_parse_head(buf, len, h, &code);
}

/* http_parse_chunk_size with room for max_body = 1 MiB; *size is set on 0 */
static int chunk(const char *line, unsigned long long *size)
{
	*size = 12345;
	return http_parse_chunk_size(line, strlen(line), 1048576, size);
}

static void test_chunk_size(void)
{
	unsigned long long n;
	char line[HTTP_MAX_CHUNK_LINE + 2];

	CHECK(chunk("0", &n) == 0 && n == 0);
	CHECK(chunk("1a", &n) == 0 && n == 26);
	CHECK(chunk("Ff", &n) == 0 && n == 255);
	CHECK(chunk("100000", &n) == 0 && n == 1048576);      /* exactly max_body */
	CHECK(chunk("0000000000000010", &n) == 0 && n == 16); /* 16 digits */
	CHECK(chunk("5;name", &n) == 0 && n == 5);
	CHECK(chunk("5;a=b;c", &n) == 0 && n == 5);
	CHECK(chunk("5 ; a = b", &n) == 0 && n == 5);        /* BWS around ; and = */
	CHECK(chunk("5;a=\"x ;\\\"y\"", &n) == 0 && n == 5); /* quoted, with a quoted-pair */
	/* what strtoull took: a sign, 0x, spaces, nothing */
	CHECK(chunk("-1", &n) == 400 && n == 12345);
	CHECK(chunk("+1", &n) == 400);
	CHECK(chunk("0x10", &n) == 400);
	CHECK(chunk(" 1", &n) == 400);
	CHECK(chunk("1 ", &n) == 400);
	CHECK(chunk("1 2", &n) == 400);
	CHECK(chunk("\t1", &n) == 400);
	CHECK(chunk("", &n) == 400);
	CHECK(chunk(";a", &n) == 400);
	CHECK(chunk("g", &n) == 400);
	CHECK(chunk("1\n", &n) == 400);
	CHECK(chunk("1\r", &n) == 400);
	/* 17 digits is not a chunk size, even with leading zeros */
	CHECK(chunk("00000000000000001", &n) == 400);
	CHECK(chunk("1FFFFFFFFFFFFFFFF", &n) == 400);
	/* malformed extensions */
	CHECK(chunk("5;", &n) == 400);
	CHECK(chunk("5;a=", &n) == 400);
	CHECK(chunk("5;a ", &n) == 400);
	CHECK(chunk("5;a=\"x", &n) == 400);
	CHECK(chunk("5;a=\"\\", &n) == 400);
	CHECK(chunk("5;a=b c", &n) == 400);
	CHECK(chunk("5;a=\"\x01\"", &n) == 400);
	CHECK(chunk("5;a\x7f", &n) == 400);
	CHECK(chunk("5,a", &n) == 400);
	CHECK(http_parse_chunk_size("5;a\0b", 6, 1048576, &n) == 400); /* NUL is no tchar */
	/* over max_body: 413, and no wrap-around however large */
	CHECK(chunk("100001", &n) == 413 && n == 12345);
	CHECK(chunk("FFFFFFFFFFFFFFFF", &n) == 413);
	CHECK(chunk("FFFFFFFFFFFFFFFF;x=y", &n) == 413);
	CHECK(chunk("8000000000000000", &n) == 413);
	CHECK(http_parse_chunk_size("1", 1, 0, &n) == 413);         /* the body is full */
	CHECK(http_parse_chunk_size("0", 1, 0, &n) == 0 && n == 0); /* the last chunk fits */
	CHECK(http_parse_chunk_size("FFFFFFFFFFFFFFFF", 16, ~0ULL, &n) == 0 && n == ~0ULL);
	/* grammar before size: a malformed line is 400 even when its size is too large */
	CHECK(chunk("FFFFFFFFFFFFFFFF ", &n) == 400);
	/* the line length bound */
	memset(line, 0, sizeof(line));
	memcpy(line, "1;a=", 4);
	memset(line + 4, 'x', HTTP_MAX_CHUNK_LINE - 4);
	CHECK(chunk(line, &n) == 0 && n == 1);
	line[HTTP_MAX_CHUNK_LINE] = 'x';
	CHECK(chunk(line, &n) == 400);
}

static void test_field_line(void)
{
	CHECK(http_field_line_ok("X-Checksum: abc", 15));
	CHECK(http_field_line_ok("X-Empty:", 8));
	CHECK(http_field_line_ok("X-Tab:\ta b\t", 11));
	CHECK(!http_field_line_ok(": x", 3));
	CHECK(!http_field_line_ok("no colon", 8));
	CHECK(!http_field_line_ok(" X: folded", 10));
	CHECK(!http_field_line_ok("X Y: z", 6));
	CHECK(!http_field_line_ok("X: a\rb", 7));
	CHECK(!http_field_line_ok("X: a\0b", 7));
	CHECK(!http_field_line_ok("X: a\nb", 6));
	CHECK(http_field_line_ok("X: \x7f", 4)); /* other controls: the handler's to judge */
	CHECK(http_field_line_ok("X: a\x01"
	                         "b",
	                         6));
	CHECK(!http_field_line_ok("", 0));
	CHECK(!http_field_line_ok("X\0Y: z", 6)); /* found by fuzz_chunk */
}

int main(void)
{
	struct http_head h;

	CHECK(parse("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A:  b ", &h) == 0);
	CHECK(strcmp(h.method, "GET") == 0 && strcmp(h.target, "/healthz") == 0 && h.keep_alive);
	CHECK(strcmp(http_head_field(&h, "x-a"), "b") == 0);
	CHECK(parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 12", &h) == 0 && h.has_length &&
	      h.content_length == 12);
	CHECK(parse("GET /healthz HTTP/3.0\r\nHost: x", &h) == 505);
	CHECK(parse("GET / HTTX/1.1\r\nHost: x", &h) == 400);
	CHECK(parse("GARBAGE", &h) == 400);
	CHECK(parse("GET", &h) == 400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5", &h) == 400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc", &h) == 400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1", &h) ==
	      400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3",
	            &h) == 400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip", &h) == 501);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nBroken header line", &h) == 400);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\n folded", &h) == 400);
	CHECK(parse("GET / HTTP/1.1", &h) == 400); /* no Host */
	CHECK(parse("GET / HTTP/1.0", &h) == 0 && !h.keep_alive);
	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close", &h) == 0 && !h.keep_alive);
	char many[20000] = "GET / HTTP/1.1\r\nHost: x";
	for (int i = 0; i < 120; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "\r\nX-%d: y", i);
	CHECK(parse(many, &h) == 431);
	test_chunk_size();
	test_field_line();
	return tap_done("parse");
}
