# shellcheck shell=bash disable=SC2034 # the variables are for the sourcing scripts
# Shared bash functions of scripts/run and scripts/test. Source it after setting
# LIB_NAME (the message prefix). Needs nothing outside the repository.
#
# Variables set: ROOT (the project root), PGBIN, PG_CTL, PGDATA (by the caller).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIB_NAME=${LIB_NAME:-abipraya}

# Debian packages that building and running abiprayad needs.
BASE_PACKAGES=(meson ninja-build pkg-config gcc libevent-dev libjansson-dev libssl-dev
	libpq-dev postgresql postgresql-contrib python3)

say() { printf '%s: %s\n' "$LIB_NAME" "$*"; }
warn() { printf '%s: %s\n' "$LIB_NAME" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$LIB_NAME" "$*" >&2
	exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# ensure_packages PKG...: apt-get install whatever of PKG... dpkg does not list as installed
ensure_packages() {
	local pkg missing=()
	if ! command -v dpkg-query >/dev/null; then
		warn "no dpkg-query: not a Debian system; assuming $* are installed"
		return 0
	fi
	for pkg in "$@"; do
		if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
			missing+=("$pkg")
		fi
	done
	((${#missing[@]})) || return 0
	say "installing missing packages: ${missing[*]}"
	local sudo=()
	if ! is_root; then
		command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root: install them first"
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# find_pgbin: sets PGBIN and PG_CTL (PostgreSQL 15 when present, else the newest installed)
find_pgbin() {
	if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
		PGBIN=/usr/lib/postgresql/15/bin
	else
		# shellcheck disable=SC2012 # plain version directories
		PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
		if [[ -z $PGBIN ]] && command -v initdb >/dev/null; then
			PGBIN=$(dirname "$(command -v initdb)")
		fi
	fi
	[[ -n $PGBIN && -x $PGBIN/initdb && -x $PGBIN/pg_ctl && -x $PGBIN/psql ]] ||
		die "cannot find initdb/pg_ctl/psql (/usr/lib/postgresql/*/bin or PATH)"
	PG_CTL=$PGBIN/pg_ctl
}

# as_pg CMD...: run a PostgreSQL server program as the postgres user when we are root
# (initdb and postgres refuse to run as root); from / so that no unreadable cwd matters.
as_pg() {
	if ! is_root; then
		"$@"
	elif command -v runuser >/dev/null; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
	fi
}

# pg_own PATH...: give PATH to the postgres user when we are root
pg_own() {
	if is_root; then
		chown postgres: "$@"
	fi
}

# initdb_cluster DIR LOG: a new cluster in DIR, superuser postgres, trust auth
initdb_cluster() {
	local dir=$1 log=$2
	as_pg "$PGBIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$log" 2>&1 ||
		as_pg "$PGBIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "initdb of $dir failed (log: $log)"
	}
}

# start_throwaway_cluster [SERVER-OPTIONS]: initdb $PGDATA (inside $PGTMP, which is given
# to postgres) and start it on a free port, on 127.0.0.1 only, its socket in $PGTMP; sets
# PGPORT. fsync is off: such a cluster holds test data only.
start_throwaway_cluster() {
	pg_own "$PGTMP"
	chmod 700 "$PGTMP"
	initdb_cluster "$PGDATA" "$PGTMP/initdb.log" || return 1
	PGPORT=$(free_port)
	as_pg "$PG_CTL" -D "$PGDATA" -l "$PGTMP/postgres.log" -w -t 60 start -o \
		"-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c max_connections=200 ${1:-}" \
		>/dev/null || {
		tail -n 30 "$PGTMP/postgres.log" >&2
		return 1
	}
}

# create_test_database NAME: creates NAME in the cluster on $PGPORT; sets DB_URL.
create_test_database() {
	DB_URL=postgresql://postgres@127.0.0.1:$PGPORT/$1
	"$PGBIN/psql" "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE $1" || die "cannot create the database $1"
}

pg_running() { # pg_running DIR: the cluster in DIR is up
	[[ -f $1/postmaster.pid ]] && as_pg "$PG_CTL" -D "$1" status >/dev/null 2>&1
}

alive() { # alive PID: the process exists and is not a zombie
	local state
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)
	[[ -n $state && $state != Z ]]
}

stop_pid() { # stop_pid PID [SECONDS]: TERM, wait (default 15 s), then KILL
	local pid=$1 secs=${2:-15} i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
	warn "process $pid ignored SIGTERM for $secs s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

port_free() { # port_free PORT: nothing listens on 127.0.0.1:PORT (TIME_WAIT is no matter)
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# test_binary [PATH]: sets BIN to PATH, else $ABIPRAYAD, else build-test/abiprayad, made
# absolute; dies when it is not an executable.
test_binary() {
	BIN=${1:-${ABIPRAYAD:-$ROOT/build-test/abiprayad}}
	[[ -x $BIN ]] || die "$BIN is not an executable (build first, or pass the path)"
	BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
}

# migrate_and_add_admin CONFIG LOGDIR: `migrate`, then `user-add admin --role admin` with a
# fresh random password, which it leaves in ADMIN_PASSWORD (logs in LOGDIR).
migrate_and_add_admin() {
	local config=$1 logdir=$2
	(cd "$ROOT" && "$BIN" --config "$config" migrate) >"$logdir/migrate.log" 2>&1 || {
		tail -n 30 "$logdir/migrate.log" >&2
		die "migrate failed"
	}
	ADMIN_PASSWORD=adm-$(python3 -c 'import secrets; print(secrets.token_hex(12))')
	printf '%s\n' "$ADMIN_PASSWORD" | (cd "$ROOT" && "$BIN" --config "$config" user-add admin --role admin) \
		>"$logdir/user-add.log" 2>&1 || {
		cat "$logdir/user-add.log" >&2
		die "user-add failed"
	}
}

# wait_healthy PID URL SECONDS: until URL/healthz answers 200; fails when PID dies. An
# https URL is not verified (the test certificates are self-signed).
wait_healthy() {
	python3 - "$@" <<'EOF'
import ssl, sys, time, urllib.request
pid, url, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl._create_unverified_context() if url.startswith("https:") else None
deadline = time.monotonic() + secs
while time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/status") as f:
            if any(l.startswith("State:") and l.split()[1] == "Z" for l in f):
                sys.exit(f"abiprayad (pid {pid}) exited during startup")
    except OSError:
        sys.exit(f"abiprayad (pid {pid}) exited during startup")
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2, context=ctx) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(f"{url}/healthz did not answer within {secs:g} s")
EOF
}
