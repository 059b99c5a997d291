/* abiprayad: command line, configuration, and the serve loop's wiring. The main thread
 * owns the signals; the workers own their event loops. */
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "abipraya/api/api.h"
#include "abipraya/core/config.h"
#include "abipraya/core/log.h"
#include "abipraya/db/audit.h"
#include "abipraya/db/migrate.h"
#include "abipraya/db/roles.h"

#define STARTUP_DB_WAIT_SECONDS 15

static const char usage[] =
        "usage: abiprayad [--config FILE] [COMMAND]\n"
        "\n"
        "commands:\n"
        "  serve (default)   serve the HTTP API until SIGTERM or SIGINT\n"
        "  migrate           apply the pending database migrations\n"
        "  user-add USERNAME --role ROLE [--house CODE]...\n"
        "                    create a user; the password is read from standard input\n"
        "  retention [--dry-run]\n"
        "                    anonymise the residents retention makes due (run daily)\n"
        "  spec-dump         print the route, field, problem and role tables as JSON\n"
        "                    (needs no configuration)\n"
        "\n"
        "options:\n"
        "  --config FILE     configuration file (INI); ABIPRAYA_<SECTION>_<KEY> overrides\n"
        "  --version         print the version\n"
        "  --help            print this help\n";

/* Two-role mode (18.12, database.owner_url set): migrate as the owner and grant the role
 * database.url logs in as, which the server names, exactly what it needs. */
static int cmd_migrate(const struct config *cfg)
{
	char err[1024], runtime[256];
	bool two_roles = cfg->db_owner_url[0] != '\0';
	int applied;

	if (two_roles && !db_login_role(cfg->db_url, runtime, sizeof(runtime), err, sizeof(err))) {
		fprintf(stderr, "abiprayad: database.url: %s\n", err);
		return 1;
	}
	if (!db_migrate(two_roles ? cfg->db_owner_url : cfg->db_url, two_roles ? runtime : NULL,
	                &applied, err, sizeof(err))) {
		fprintf(stderr, "abiprayad: %s\n", err);
		return 1;
	}
	printf("abiprayad: %d migration(s) applied\n", applied);
	/* after the migrations and the sql/api files: the functions it runs are theirs */
	char note[256];
	if (!db_audit_rechain(cfg->db_url, note, sizeof(note), err, sizeof(err))) {
		fprintf(stderr, "abiprayad: %s\n", err);
		return 1;
	}
	if (*note)
		printf("abiprayad: %s\n", note);
	return 0;
}

/* The schema must be current before we serve; a database that is still starting gets
 * a few seconds (systemd may start us first). */
static bool schema_ready(const struct config *cfg)
{
	char err[1024];
	int pending = 0;
	bool mismatch = false;

	for (int i = 0; i < STARTUP_DB_WAIT_SECONDS * 2; i++) {
		if (db_migrations_pending(cfg->db_url, &pending, &mismatch, err, sizeof(err)))
			break;
		/* a database migrated with other migrations stays so */
		if (mismatch || i + 1 == STARTUP_DB_WAIT_SECONDS * 2) {
			log_error("%s", err);
			return false;
		}
		usleep(500000);
	}
	if (pending) {
		log_error("%d migration(s) pending (versioned or repeatable): run \"abiprayad "
		          "--config "
		          "FILE migrate\" first",
		          pending);
		return false;
	}
	if (!db_audit_startup_check(cfg->db_url, err, sizeof(err))) {
		log_error("audit chain: %s", err);
		return false;
	}
	return true;
}

/* With database.owner_url set, url's role must be a runtime role of least privilege
 * (18.12); without it, one role does everything, which is for development only. */
static bool privileges_ok(const struct config *cfg)
{
	char err[2048];

	if (!cfg->db_owner_url[0]) {
		log_warn("least privilege is off: database.owner_url is empty, so database.url's "
		         "role owns the schema and may change the audit trail (single-role mode, "
		         "for development only; deploy/README.md)");
		return true;
	}
	if (db_check_least_privilege(cfg->db_url, err, sizeof(err)))
		return true;
	log_error("%s", err);
	return false;
}

static void reload(const char *path)
{
	struct config fresh;
	char err[1024];

	if (!config_load(path, &fresh, err, sizeof(err))) {
		log_warn("could not reload the configuration: %s, ignoring", err);
		return;
	}
	log_set_level(fresh.log_level);
	log_info("configuration reloaded (log level)");
	config_finish(&fresh);
}

static int wait_for_signals(const char *config_path, const sigset_t *set)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(config_path);
			continue;
		}
		log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return 0;
	}
}

/* Idle keep-alive connections and event streams each hold a descriptor: take what the
 * hard limit allows rather than the soft 1024 most shells start with. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("could not raise the open-file limit, ignoring");
	}
}

static int cmd_serve(const struct config *cfg, const char *config_path)
{
	struct api_shared shared;
	struct api_worker *workers = xcalloc((size_t)cfg->workers, sizeof(*workers));
	sigset_t set;
	char err[1024];
	int started = 0, rc = 1;

	if (!schema_ready(cfg) || !privileges_ok(cfg))
		goto out_free;
	raise_fd_limit();
	/* workers inherit the mask: only this thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() != 0 || !api_shared_init(&shared, cfg, err, sizeof(err))) {
		log_error("%s", err);
		goto out_free;
	}
	for (int i = 0; i < cfg->workers; i++) {
		if (!api_worker_init(&workers[i], i, &shared, err, sizeof(err))) {
			log_error("%s", err);
			goto out_workers;
		}
		started++;
	}
	api_metrics_set_workers(workers, cfg->workers);
	for (int i = 0; i < started; i++)
		if (!api_worker_start(&workers[i]))
			abort();
	log_info("listening on %s:%d with %d worker(s)%s", cfg->listen_host, cfg->listen_port,
	         cfg->workers, shared.ssl ? " (TLS)" : "");
	rc = wait_for_signals(config_path, &set);
	for (int i = 0; i < started; i++)
		api_worker_stop(&workers[i]);
	for (int i = 0; i < started; i++)
		api_worker_join(&workers[i]);
	log_info("stopped");
out_workers:
	for (int i = 0; i < cfg->workers; i++)
		api_worker_finish(&workers[i]);
	api_shared_finish(&shared);
out_free:
	free(workers);
	return rc;
}

/* Every connection a command opens carries the audit key (contract §18.12) as the session
 * setting abipraya.audit_key: database.url is replaced by a connection string that sets it.
 * Never printed: messages name the file, not the key. */
static bool with_key(char **url, const char *hex, const char *name, char *err, size_t errlen)
{
	char *keyed = db_url_with_key(*url, hex);

	if (!keyed) {
		snprintf(err, errlen, "%s: not a valid connection string", name);
		return false;
	}
	free(*url);
	*url = keyed;
	return true;
}

/* The owner's connections (migrate, retention) append audit records too, so they carry the
 * key as well; two-role mode is for deployments, whose chain must be keyed. */
static bool use_audit_key(struct config *cfg, char *err, size_t errlen)
{
	char *hex = NULL;
	bool ok;

	if (!config_audit_key(cfg, &hex, err, errlen))
		return false;
	if (!hex) {
		if (!cfg->db_owner_url[0])
			return true;
		snprintf(err, errlen, "audit.key_file is required when database.owner_url is set");
		return false;
	}
	ok = with_key(&cfg->db_url, hex, "database.url", err, errlen) &&
	     (!cfg->db_owner_url[0] ||
	      with_key(&cfg->db_owner_url, hex, "database.owner_url", err, errlen));
	explicit_bzero(hex, strlen(hex));
	free(hex);
	return ok;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	struct config cfg;
	char err[1024];
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("abiprayad %s\n", ABIPRAYA_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else {
			fprintf(stderr, "abiprayad: unknown option \"%s\"\n%s", argv[i], usage);
			return 2;
		}
	}
	/* the tables are compiled in: no configuration to read or get wrong */
	if (i < argc && strcmp(argv[i], "spec-dump") == 0)
		return api_spec_dump(stdout);
	if (!config_load(config_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "abiprayad: configuration error: %s\n", err);
		return 1;
	}
	log_set_level(cfg.log_level);
	if (!use_audit_key(&cfg, err, sizeof(err))) {
		fprintf(stderr, "abiprayad: configuration error: %s\n", err);
		config_finish(&cfg);
		return 1;
	}
	const char *cmd = i < argc ? argv[i++] : "serve";
	if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(&cfg, config_path);
	else if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&cfg);
	else if (strcmp(cmd, "user-add") == 0)
		rc = api_cli_user_add(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "retention") == 0)
		rc = schema_ready(&cfg) ? api_cli_retention(&cfg, argc - i, argv + i) : 1;
	else {
		fprintf(stderr, "abiprayad: unknown command \"%s\"\n%s", cmd, usage);
		rc = 2;
	}
	config_finish(&cfg);
	return rc;
}
