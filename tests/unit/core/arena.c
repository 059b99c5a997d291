#include "abipraya/core/arena.h"

#include <string.h>

#include "../tap.h"

static char order[8];
static size_t norder;
static struct arena a;

static void note(void *arg)
{
	order[norder++] = *(const char *)arg;
}

/* a cleanup that registers another while the cleanups run */
static void note_and_register(void *arg)
{
	note(arg);
	arena_on_finish(&a, note, arena_strdup(&a, "z"));
}

int main(void)
{
	/* cleanups run once each, the last registered first, while the memory still holds */
	arena_init(&a);
	arena_on_finish(&a, note, arena_strdup(&a, "a"));
	arena_on_finish(&a, note, arena_strdup(&a, "b"));
	arena_finish(&a);
	CHECK(norder == 2 && memcmp(order, "ba", 2) == 0);
	arena_finish(&a); /* finished: nothing runs again */
	CHECK(norder == 2);

	norder = 0;
	arena_init(&a);
	char *rec = arena_zalloc(&a, 2000); /* a chunk of its own */
	CHECK(rec[0] == 0 && rec[1999] == 0);
	rec[0] = 'c';
	arena_on_finish(&a, note_and_register, rec);
	arena_finish(&a);
	CHECK(norder == 2 && memcmp(order, "cz", 2) == 0);
	return tap_done("arena");
}
