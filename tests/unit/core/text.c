#include "abipraya/core/text.h"

#include <string.h>

#include "../tap.h"

#define S(x) x, strlen(x)

int main(void)
{
	char uuid[37];
	size_t len;
	int64_t n;

	CHECK(utf8_length(S("Budi Santoso")) == 12);
	CHECK(utf8_length(S("Nguyễn")) == 6);
	CHECK(utf8_length(S("\xff\xfe")) == -1);
	CHECK(utf8_length(S("\xc0\xaf")) == -1);     /* overlong */
	CHECK(utf8_length(S("\xed\xa0\x80")) == -1); /* surrogate */
	CHECK(text_has_control("a\0b", 3, false));
	CHECK(text_has_control(S("a\nb"), false));
	CHECK(!text_has_control(S("a\nb\tc"), true));
	CHECK(text_has_control(S("a\x7f"), true));
	const char *t = text_trim(S("  \xc2\xa0 Siti \t"), &len);
	CHECK(len == 4 && memcmp(t, "Siti", 4) == 0);
	CHECK(text_uuid(S("3F2504E0-4F89-11D3-9A0C-0305E82C3301"), uuid) &&
	      strcmp(uuid, "3f2504e0-4f89-11d3-9a0c-0305e82c3301") == 0);
	CHECK(!text_uuid(S("00000000-0000-0000-0000-00000000000g"), uuid));
	CHECK(!text_uuid(S("{3f2504e0-4f89-11d3-9a0c-0305e82c33}"), uuid));
	CHECK(text_date(S("2024-02-29")));
	CHECK(!text_date(S("2023-02-29")));
	CHECK(!text_date(S("2024-02-30")));
	CHECK(!text_date(S("2024-13-01")));
	CHECK(text_datetime(S("2026-11-28T10:00:00Z")));
	CHECK(text_datetime(S("2026-11-28T17:00:00.123456+07:00")));
	CHECK(!text_datetime(S("2024-13-45T99:99:99Z")));
	CHECK(!text_datetime(S("2026-11-28T10:00:00")));
	CHECK(text_time_hm(S("21:30")) && !text_time_hm(S("24:00")));
	CHECK(text_digits(S("1571010101900001"), 16) && !text_digits(S("15710101019O0001"), 16));
	CHECK(text_int(S("200"), 1, 200, &n) && n == 200);
	CHECK(!text_int(S("201"), 1, 200, &n));
	CHECK(!text_int(S("99999999999999999999"), 1, 200, &n));
	CHECK(!text_int(S("1.5"), 1, 200, &n));
	char enc[] = "a%20b+c";
	len = strlen(enc);
	CHECK(text_percent_decode(enc, &len, true) && strcmp(enc, "a b c") == 0);
	char nul[] = "x%00";
	len = strlen(nul);
	CHECK(!text_percent_decode(nul, &len, true));
	char cut[] = "x%4";
	len = strlen(cut);
	CHECK(!text_percent_decode(cut, &len, true));
	return tap_done("text");
}
