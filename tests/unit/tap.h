/* A minimal test harness: CHECK counts failures; main returns non-zero if any. */
#ifndef ABIPRAYA_TESTS_TAP_H
#define ABIPRAYA_TESTS_TAP_H

#include <stdio.h>

static int tap_failures, tap_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		tap_checks++;                                                                      \
		if (!(cond)) {                                                                     \
			tap_failures++;                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

static inline int tap_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tap_checks, tap_failures);
	return tap_failures ? 1 : 0;
}

#endif
