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
	return tap_done("parse");
}
