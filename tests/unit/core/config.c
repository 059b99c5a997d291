/* The example config parses to the contract's values; bad input names file, line, key. */
#include "abipraya/core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"

static bool load_text(const char *text, struct config *cfg, char *err, size_t len)
{
	char path[] = "/tmp/abipraya-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	bool ok = config_load(path, cfg, err, len);
	unlink(path);
	return ok;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512], path[1024];

	snprintf(path, sizeof(path), "%s/config/abipraya.conf", argc > 1 ? argv[1] : ".");
	CHECK(config_load(path, &cfg, err, sizeof(err)));
	CHECK(strcmp(cfg.listen_host, "127.0.0.1") == 0 && cfg.listen_port == 8080);
	CHECK(cfg.workers == 2 && cfg.max_body == 1048576 && cfg.db_pool == 4);
	CHECK(cfg.token_ttl == 43200 && cfg.login_max_failures == 5 && cfg.login_window == 900);
	CHECK(*cfg.tls_cert == '\0');
	config_finish(&cfg);

	CHECK(!load_text("[server]\nworkers = 2\nbogus = 1\n", &cfg, err, sizeof(err)));
	CHECK(strstr(err, ":3:") && strstr(err, "server.bogus"));
	CHECK(!load_text("[server]\n\nworkers = many\n", &cfg, err, sizeof(err)));
	CHECK(strstr(err, ":3:") && strstr(err, "server.workers"));
	CHECK(!load_text("[nope]\n", &cfg, err, sizeof(err)));
	CHECK(strstr(err, ":1:") && strstr(err, "nope"));
	CHECK(!load_text("[server]\nlisten = nowhere\n", &cfg, err, sizeof(err)));
	CHECK(!load_text("[server]\ntls_cert = /x.pem\n", &cfg, err, sizeof(err)));

	/* a comment longer than any line buffer is still one comment */
	static char long_comment[6000];
	memset(long_comment, 'x', sizeof(long_comment));
	memcpy(long_comment, "# ", 2);
	memcpy(long_comment + sizeof(long_comment) - 19, "\n[log]\nlevel=warn\n", 19);
	CHECK(load_text(long_comment, &cfg, err, sizeof(err)) && cfg.log_level == LOG_WARN);
	config_finish(&cfg);

	setenv("ABIPRAYA_SERVER_LISTEN", "0.0.0.0:9999", 1);
	setenv("ABIPRAYA_DATABASE_URL", "postgresql:///other", 1);
	CHECK(load_text("[server]\nlisten = 127.0.0.1:1 # comment\n", &cfg, err, sizeof(err)));
	CHECK(cfg.listen_port == 9999 && strcmp(cfg.db_url, "postgresql:///other") == 0);
	config_finish(&cfg);
	setenv("ABIPRAYA_LOG_LEVEL", "loud", 1);
	CHECK(!load_text("", &cfg, err, sizeof(err)) && strstr(err, "ABIPRAYA_LOG_LEVEL"));
	return tap_done("config");
}
