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
	CHECK(cfg.login_address_max_failures == 100 && cfg.ntrusted_proxies == 0);
	config_finish(&cfg);

	/* trusted_proxies: addresses and CIDR blocks of both families; IPv4-mapped peers match */
	unsigned char a[16];
	CHECK(load_text("[server]\ntrusted_proxies = 127.0.0.1, 10.1.2.3/8 ,2001:db8::/32,::1\n"
	                "[security]\nlogin_address_max_failures = 7\n",
	                &cfg, err, sizeof(err)));
	CHECK(cfg.ntrusted_proxies == 4 && cfg.login_address_max_failures == 7);
	CHECK(config_parse_address("127.0.0.1", 9, a) &&
	      config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(config_parse_address("::ffff:10.200.0.9", 17, a) &&
	      config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(config_parse_address("2001:db8:ffff::1", 16, a) &&
	      config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(config_parse_address("127.0.0.2", 9, a) &&
	      !config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(config_parse_address("11.0.0.1", 8, a) &&
	      !config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(config_parse_address("2001:db9::1", 11, a) &&
	      !config_net_contains(cfg.trusted_proxies, cfg.ntrusted_proxies, a));
	CHECK(!config_parse_address("1.2.3", 5, a) && !config_parse_address("", 0, a));
	config_finish(&cfg);
	static const char *const bad_proxies[] = {"1.2.3.4,",  "1.2.3.4,,5.6.7.8", "1.2.3.4/33",
	                                          "::1/129",   "10.0.0.0/",        "10.0.0.0/x",
	                                          "localhost", "1.2.3.4 5.6.7.8",  "10.0.0.0/-1"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_proxies); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[server]\n\ntrusted_proxies = %s\n", bad_proxies[i]);
		CHECK(!load_text(text, &cfg, err, sizeof(err)));
		CHECK(strstr(err, ":3:") && strstr(err, "server.trusted_proxies"));
	}
	CHECK(!load_text("[security]\nlogin_address_max_failures = 0\n", &cfg, err, sizeof(err)));
	CHECK(strstr(err, "security.login_address_max_failures"));

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
