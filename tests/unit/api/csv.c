#include <string.h>

#include "../../../src/api/api_internal.h"
#include "../tap.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;

	CHECK(api_csv_from_json("{\"items\":[{\"id\":\"a\",\"n\":1,\"x\":null,\"ok\":true,"
	                        "\"c\":{\"name\":\"Si, \\\"ti\\\"\"},\"beds\":[1]}]}",
	                        NULL, &sb));
	CHECK(strcmp(strbuf_str(&sb), "id,n,x,ok,c.name\r\na,1,,true,\"Si, \"\"ti\"\"\"\r\n") == 0);
	strbuf_reset(&sb);
	CHECK(api_csv_from_json("{\"items\":[]}", "date,occupied", &sb));
	CHECK(strcmp(strbuf_str(&sb), "date,occupied\r\n") == 0);
	strbuf_reset(&sb);
	CHECK(!api_csv_from_json("[1]", NULL, &sb));
	strbuf_finish(&sb);
	return tap_done("csv");
}
