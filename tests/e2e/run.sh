#!/usr/bin/env bash
# End-to-end tests of the staff console (web/) in headless Chromium.
#
#   tests/e2e/run.sh [ABIPRAYAD]     default ABIPRAYAD: build-test/abiprayad (built when missing)
#
# Installs what is missing (Debian's chromium, playwright-core by `npm ci`), starts a
# throwaway PostgreSQL cluster on a free port, migrates, loads sql/seed/demo.sql and the
# demo users, starts TWO daemons on that one database (server.static_dir = web), runs
# `node --test` over tests/e2e/*.test.mjs, and always stops everything it started.
#
# Environment:
#   E2E_SCREENSHOTS  folder for the screenshots (default tests/e2e/screenshots)
#   E2E_ONLY         a --test-name-pattern for node --test (run only the matching tests)
#   E2E_KEEP=1       start everything, print the URLs and logins, and wait (no tests) until Ctrl-C
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=/usr/bin/chromium
HOUSE=GAJ-01
# user:role:password (the same logins as scripts/run)
USERS=(
	admin:admin:abipraya-admin-demo
	manager:manager:abipraya-manager-demo
	caseworker:caseworker:abipraya-caseworker-demo
	staff:staff:abipraya-staff-demo
)

say() { printf 'e2e: %s\n' "$*"; }
die() {
	printf 'e2e: error: %s\n' "$*" >&2
	exit 1
}
is_root() { [[ $(id -u) -eq 0 ]]; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

BIN=${1:-build-test/abiprayad}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
SHOTS=${E2E_SCREENSHOTS:-$HERE/screenshots}
[[ $SHOTS == /* ]] || SHOTS=$PWD/$SHOTS

# ------------------------------------------------------------------ what the tests need
apt_install() {
	local sudo=()
	if ! is_root; then
		command -v sudo >/dev/null || die "$* missing and not root: install it first"
		sudo=(sudo)
	fi
	say "installing $*"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >/dev/null || die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null >/dev/null ||
		die "apt-get install $* failed"
}

[[ -x $CHROMIUM ]] || apt_install chromium
[[ -x $CHROMIUM ]] || die "no $CHROMIUM after installing chromium"
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
command -v python3 >/dev/null || apt_install python3

# npm ci unless node_modules holds exactly the locked playwright-core
if ! (cd "$HERE" && node -e 'const l = require("./package-lock.json").packages["node_modules/playwright-core"];
	process.exit(l && require("./node_modules/playwright-core/package.json").version === l.version ? 0 : 1)' 2>/dev/null); then
	say "npm ci (playwright-core; no browser download)"
	(cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

PGBIN=/usr/lib/postgresql/15/bin
if [[ ! -x $PGBIN/initdb ]]; then
	# shellcheck disable=SC2012
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
	if [[ -z $PGBIN || ! -x $PGBIN/initdb ]]; then
		apt_install postgresql postgresql-contrib
		PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
	fi
fi
[[ -x $PGBIN/initdb && -x $PGBIN/pg_ctl && -x $PGBIN/psql ]] || die "no PostgreSQL binaries under /usr/lib/postgresql"

# the default binary is (re)built when missing or older than the sources; a named one is taken as it is
if [[ $# -eq 0 ]] && { [[ ! -x $BIN ]] || [[ -n $(cd "$ROOT" && find src include sql meson.build -newer "$BIN" -print -quit) ]]; }; then
	say "building $BIN (meson, build-test)"
	(cd "$ROOT" && { [[ -f build-test/build.ninja ]] || meson setup build-test --buildtype=debug -Dwerror=true; } &&
		meson compile -C build-test) || die "building $BIN failed"
fi
[[ -x $BIN ]] || die "no daemon binary $BIN (build it: meson setup build-test && meson compile -C build-test)"

# ------------------------------------------------------------------ cleanup
TMP=$(mktemp -d /tmp/abipraya-e2e.XXXXXX) || die "mktemp failed"
PGDATA=$TMP/data
DAEMON_PIDS=()

as_pg() { # runs a PostgreSQL program as the postgres user when we are root
	if is_root; then (cd "$TMP" && runuser -u postgres -- "$@"); else "$@"; fi
}

stop_pid() { # stop_pid PID: TERM, wait up to 15 s, then KILL
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		[[ $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == Z ]] && return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	[[ -n ${KEEP_PID:-} ]] && kill "$KEEP_PID" 2>/dev/null
	for pid in "${DAEMON_PIDS[@]}"; do
		stop_pid "$pid"
		wait "$pid" 2>/dev/null
	done
	if [[ -f $PGDATA/postmaster.pid ]]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if ((rc != 0)) && [[ -d $TMP ]]; then
		for f in "$TMP"/daemon-*.log; do
			[[ -f $f ]] || continue
			echo "----- last lines of $(basename "$f")" >&2
			tail -n 15 "$f" >&2
		done
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ PostgreSQL
is_root && chown postgres: "$TMP"
chmod 755 "$TMP"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
	as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale >"$TMP/initdb.log" 2>&1 ||
	die "initdb failed: $(tail -n 5 "$TMP/initdb.log")"
PGPORT=$(free_port)
PG_OPTS="-c listen_addresses=127.0.0.1 -p $PGPORT -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
as_pg touch "$TMP/postgres.log"
pg_start() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$TMP/postgres.log" -w -t 60 start -o "$PG_OPTS" >/dev/null; }
pg_start || die "PostgreSQL did not start: $(tail -n 20 "$TMP/postgres.log")"
say "PostgreSQL $("$PGBIN/psql" -X -qtA "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -c 'SHOW server_version') on 127.0.0.1:$PGPORT"
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -c "CREATE DATABASE abipraya" >/dev/null ||
	die "CREATE DATABASE failed"
DB_URL=postgresql://postgres@127.0.0.1:$PGPORT/abipraya

# a helper for the test that takes the database away and brings it back
cat >"$TMP/pg.sh" <<EOF
#!/usr/bin/env bash
# pg.sh stop|start: the e2e cluster
set -e
as_pg() { if [[ \$(id -u) -eq 0 ]]; then (cd "$TMP" && runuser -u postgres -- "\$@"); else "\$@"; fi; }
case \$1 in
stop) as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 60 stop >/dev/null ;;
start) as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$TMP/postgres.log" -w -t 60 start -o "$PG_OPTS" >/dev/null ;;
*) exit 2 ;;
esac
EOF
chmod 755 "$TMP/pg.sh"

# ------------------------------------------------------------------ daemons
write_config() { # write_config FILE PORT
	cat >"$1" <<EOF
# tests/e2e/run.sh
[server]
listen = 127.0.0.1:$2
workers = 2
static_dir = $ROOT/web

[database]
url = $DB_URL
pool = 4

[security]
token_ttl = 43200
login_max_failures = 50
login_window = 900

[log]
level = info
EOF
}

PORT_A=$(free_port)
PORT_B=$(free_port)
while [[ $PORT_B == "$PORT_A" ]]; do PORT_B=$(free_port); done
write_config "$TMP/a.conf" "$PORT_A"
write_config "$TMP/b.conf" "$PORT_B"

cli() { (cd "$ROOT" && "$BIN" --config "$TMP/a.conf" "$@"); }
cli migrate >"$TMP/migrate.log" 2>&1 || die "migrate failed: $(tail -n 20 "$TMP/migrate.log")"

add_user() { # add_user NAME ROLE PASSWORD [--house CODE]
	local name=$1 role=$2 password=$3
	shift 3
	printf '%s\n' "$password" | cli user-add "$name" --role "$role" "$@" >>"$TMP/users.log" 2>&1 ||
		die "user-add $name failed: $(tail -n 5 "$TMP/users.log")"
}
for spec in "${USERS[@]}"; do
	IFS=: read -r name role password <<<"$spec"
	if [[ $role == admin ]]; then
		add_user "$name" "$role" "$password"
		# the seed makes the house (and its rooms, residents, stays) for the others
		PGOPTIONS='-c client_min_messages=warning' "$PGBIN/psql" "$DB_URL" -X -q -v ON_ERROR_STOP=1 \
			-f "$ROOT/sql/seed/demo.sql" >"$TMP/seed.log" 2>&1 || die "seed failed: $(tail -n 10 "$TMP/seed.log")"
	else
		add_user "$name" "$role" "$password" --house "$HOUSE"
	fi
done
# the demo NIKs, for the test that staff never sees one
"$PGBIN/psql" "$DB_URL" -X -qtA -c "SELECT national_id FROM app.residents WHERE national_id IS NOT NULL" >"$TMP/niks.txt" ||
	die "reading the seeded national IDs failed"

wait_healthy() { # wait_healthy PID URL
	local i
	for ((i = 0; i < 150; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		curl -fsS -o /dev/null --max-time 2 "$2/healthz" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
command -v curl >/dev/null || apt_install curl

start_daemon() { # start_daemon NAME PORT
	(cd "$ROOT" && exec "$BIN" --config "$TMP/$1.conf" </dev/null >"$TMP/daemon-$1.log" 2>&1) &
	local pid=$!
	DAEMON_PIDS+=("$pid")
	wait_healthy "$pid" "http://127.0.0.1:$2" || die "daemon $1 did not come up: $(tail -n 20 "$TMP/daemon-$1.log")"
	say "daemon $1: http://127.0.0.1:$2/ (pid $pid)"
}
start_daemon a "$PORT_A"
start_daemon b "$PORT_B"

if ! curl -fsS --max-time 5 "http://127.0.0.1:$PORT_A/" 2>/dev/null | grep -qi '<html'; then
	[[ ${E2E_KEEP:-0} == 1 ]] || die "GET / does not serve web/index.html (server.static_dir): the daemon lacks static serving"
	say "warning: GET / does not serve web/index.html: the daemon lacks static serving"
fi

mkdir -p "$SHOTS"

export E2E_URL_A=http://127.0.0.1:$PORT_A
export E2E_URL_B=http://127.0.0.1:$PORT_B
export E2E_SCREENSHOTS=$SHOTS
export E2E_PG=$TMP/pg.sh
export E2E_NIKS=$TMP/niks.txt
export E2E_CHROMIUM=$CHROMIUM
export E2E_TMP=$TMP
export E2E_DB_URL=$DB_URL
export E2E_PSQL=$PGBIN/psql

if [[ ${E2E_KEEP:-0} == 1 ]]; then
	say "E2E_KEEP=1: console at $E2E_URL_A/ and $E2E_URL_B/; logins:"
	for spec in "${USERS[@]}"; do
		IFS=: read -r name role password <<<"$spec"
		printf '  %-11s %s\n' "$name" "$password"
	done
	say "database $DB_URL; Ctrl-C stops everything"
	while :; do
		sleep 3600 &
		KEEP_PID=$!
		wait "$KEEP_PID"
	done
fi

args=(--test --test-concurrency=1 --test-reporter=spec)
[[ -n ${E2E_ONLY:-} ]] && args+=(--test-name-pattern="$E2E_ONLY")
say "node ${args[*]} (screenshots: $SHOTS)"
cd "$HERE" || die "cannot enter $HERE"
# shellcheck disable=SC2046
node "${args[@]}" $(ls ./*.test.mjs | sort)
rc=$?
((rc == 0)) && say "all end-to-end tests passed" || say "end-to-end tests FAILED"
exit "$rc"
