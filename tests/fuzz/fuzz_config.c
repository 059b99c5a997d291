/* libFuzzer harness: config_load over an arbitrary configuration file. The input is
 * written to a memfd and loaded through /proc/self/fd/N (no disk I/O per run); the
 * ABIPRAYA_* environment is cleared first. Checks the ranges of an accepted config. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abipraya/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

extern char **environ;
static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (;;) { /* unsetenv shifts environ: start over after each removal */
		char **e = environ;
		while (*e && strncmp(*e, "ABIPRAYA_", 9) != 0)
			e++;
		if (!*e)
			break;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
		unsetenv(name);
	}
	fd = memfd_create("fuzz-config", 0);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	if (config_load(path, &cfg, err, sizeof(err))) {
		assert(cfg.listen_host && cfg.listen_port >= 1 && cfg.listen_port <= 65535);
		assert(cfg.workers >= 1 && cfg.workers <= 64);
		assert(cfg.max_body >= 1024);
		assert(cfg.db_url && cfg.tls_cert && cfg.tls_key && cfg.static_dir);
		assert(!*cfg.tls_cert == !*cfg.tls_key);
		assert(cfg.db_pool >= 1 && cfg.db_timeout_ms >= 100);
		config_finish(&cfg);
	} else {
		assert(err[0]); /* a refusal always says why */
	}
	return 0;
}
