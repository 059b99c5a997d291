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
	/* text cells a spreadsheet would run get a leading '; numbers and other text do not */
	strbuf_reset(&sb);
	CHECK(api_csv_from_json(
	        "{\"items\":[{\"a\":\"=HYPERLINK(\\\"http://x\\\",\\\"y\\\")\","
	        "\"b\":\"+62 811\",\"c\":\"-1\",\"d\":\"@SUM(A1)\",\"e\":\"\\tx\","
	        "\"f\":\"\\rx\",\"g\":-1,\"h\":\"a=b\",\"i\":\"2026-01-02\",\"j\":-2.5}]}",
	        "a,b,c,d,e,f,g,h,i,j", &sb));
	CHECK(strcmp(strbuf_str(&sb),
	             "a,b,c,d,e,f,g,h,i,j\r\n"
	             "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+62 811,'-1,'@SUM(A1),"
	             "'\tx,\"'\rx\",-1,a=b,2026-01-02,-2.5\r\n") == 0);
	strbuf_finish(&sb);
	return tap_done("csv");
}
