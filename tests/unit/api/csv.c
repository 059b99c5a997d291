#include <string.h>

#include "../../../src/api/api_internal.h"
#include "../tap.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;

	/* declared order, nested members flattened, null as empty, RFC 4180 quoting */
	CHECK(api_csv_from_json("{\"items\":[{\"n\":1,\"id\":\"a\",\"x\":null,\"ok\":true,"
	                        "\"c\":{\"name\":\"Si, \\\"ti\\\"\"},\"beds\":[1]},"
	                        "{\"id\":\"b\",\"n\":2,\"c\":null,\"x\":\"l1\\nl2\"}]}",
	                        "id,n,x,ok,c.name", &sb));
	CHECK(strcmp(strbuf_str(&sb), "id,n,x,ok,c.name\r\na,1,,true,\"Si, \"\"ti\"\"\"\r\n"
	                              "b,2,\"l1\nl2\",,\r\n") == 0);
	/* an optional column appears only when some item carries the field */
	strbuf_reset(&sb);
	CHECK(api_csv_from_json("{\"items\":[{\"id\":\"a\"}]}", "id,!secret", &sb));
	CHECK(strcmp(strbuf_str(&sb), "id\r\na\r\n") == 0);
	strbuf_reset(&sb);
	CHECK(api_csv_from_json("{\"items\":[{\"id\":\"a\",\"secret\":null}]}", "id,!secret", &sb));
	CHECK(strcmp(strbuf_str(&sb), "id,secret\r\na,\r\n") == 0);
	strbuf_reset(&sb);
	CHECK(api_csv_from_json("{\"items\":[]}", "date,!x,occupied", &sb));
	CHECK(strcmp(strbuf_str(&sb), "date,occupied\r\n") == 0);
	strbuf_reset(&sb);
	CHECK(!api_csv_from_json("[1]", "id", &sb));
	strbuf_finish(&sb);
	return tap_done("csv");
}
