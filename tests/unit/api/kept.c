/* What a held answer is held under: every input its body depends on. Two callers share a
 * copy only where the body cannot differ between them; a route whose body depends on the
 * role keeps one per caller, so no role is ever sent another's body. */
#include <stdlib.h>
#include <string.h>

#include "../../../src/api/api_internal.h"
#include "../tap.h"

static bool same_key(const struct api_route *r, const char *args_a, const unsigned char *tok_a,
                     const char *args_b, const unsigned char *tok_b)
{
	char *a = held_key(r, args_a, tok_a), *b = held_key(r, args_b, tok_b);
	bool same = strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

int main(void)
{
	static const struct api_route board = {.op = "beds.board",
	                                       .flags = ROUTE_DIRECT | ROUTE_CACHED};
	static const struct api_route board_free = {.op = "beds.board_free",
	                                            .flags = ROUTE_DIRECT | ROUTE_CACHED};
	static const struct api_route by_role = {.op = "residents.get",
	                                         .flags = ROUTE_DIRECT | ROUTE_CACHED |
	                                                  ROUTE_HELD_PER_CALLER};
	unsigned char admin[32], staff[32];
	const char *h1 = "{\"house_id\":\"11111111-1111-1111-1111-111111111111\"}";
	const char *h2 = "{\"house_id\":\"22222222-2222-2222-2222-222222222222\"}";
	const char *h1_free =
	        "{\"house_id\":\"11111111-1111-1111-1111-111111111111\",\"state\":\"free\"}";

	memset(admin, 0xaa, sizeof(admin));
	memset(staff, 0x55, sizeof(staff));
	/* the board's body is the same for every role: one copy for all callers */
	CHECK(same_key(&board, h1, admin, h1, staff));
	/* the path and the query it declares are in the key, and so is the route */
	CHECK(!same_key(&board, h1, admin, h2, admin));
	CHECK(!same_key(&board, h1, admin, h1_free, admin));
	char *k = held_key(&board, h1, admin), *k2 = held_key(&board_free, h1, admin);
	CHECK(strcmp(k, k2) != 0);
	CHECK(strncmp(k, "beds.board ", 11) == 0 && strncmp(k2, "beds.board ", 11) != 0);
	free(k);
	free(k2);
	/* a body that depends on the role: two callers never share a copy, one caller does */
	CHECK(!same_key(&by_role, h1, admin, h1, staff));
	CHECK(same_key(&by_role, h1, staff, h1, staff));
	return tap_done("kept");
}
