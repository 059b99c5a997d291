#!/usr/bin/env bash
# Tests deploy/restore.sh both ways, with the daemon as the judge:
#
#   tests/deploy/restore_test.sh [PATH-TO-ABIPRAYAD]
#
# A throwaway cluster with WAL archiving; the daemon creates residents R1, then a base
# backup (pg_basebackup -Ft -z) is taken, then R2, a recorded time T, then R3, and a
# pg_dump -Fc. Then:
#   pitr: restore.sh pitr BASE ARCHIVE NEWDIR --target-time T --start -> R1 and R2 are
#         there, R3 is not; a daemon on the restored cluster serves and
#         GET /api/v1/audit/verify says ok;
#   dump: restore.sh dump FILE into a new database -> R1, R2, R3; the daemon's
#         `migrate` has nothing to do, audit verify says ok.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -uo pipefail

LIB_NAME=tests/deploy/restore_test.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

test_binary "${1:-}"
find_pgbin

WORK=$(mktemp -d /tmp/abipraya-restore.XXXXXX) || die "mktemp failed"
chmod 711 "$WORK"
mkdir -p "$WORK/pg" "$WORK/archive" "$WORK/base"
pg_own "$WORK/pg" "$WORK/archive" "$WORK/base"
chmod 700 "$WORK/pg"
PGDATA=$WORK/pg/data
NEWDATA=$WORK/restored
DAEMON_PID=""
cleanup() {
	local rc=$? d pid
	trap - EXIT INT TERM
	[[ -n $DAEMON_PID ]] && stop_pid "$DAEMON_PID"
	for d in "$PGDATA" "$NEWDATA"; do
		if [[ -f $d/postmaster.pid ]]; then
			pid=$(head -n1 "$d/postmaster.pid")
			as_pg "$PG_CTL" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
			[[ -n $pid ]] && stop_pid "$pid"
		fi
	done
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PSQL=("$PGBIN/psql" -X -q -t -A -v ON_ERROR_STOP=1)
initdb_cluster "$PGDATA" "$WORK/initdb.log"
PGPORT=$(free_port)
as_pg "$PG_CTL" -D "$PGDATA" -l "$WORK/pg/postgres.log" -w -t 60 start -o \
	"-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg -c wal_level=replica -c archive_mode=on \
	 -c archive_command='test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f'" >/dev/null ||
	{
		tail -n 30 "$WORK/pg/postgres.log" >&2
		die "PostgreSQL did not start"
	}
SUPER=postgresql://postgres@127.0.0.1:$PGPORT/postgres
DB=postgresql://postgres@127.0.0.1:$PGPORT/abipraya
"${PSQL[@]}" "$SUPER" -c "CREATE DATABASE abipraya" || die "createdb failed"

config() { # config FILE DBURL PORT
	printf '[server]\nlisten = 127.0.0.1:%s\n[database]\nurl = %s\n[log]\nlevel = warn\n' "$3" "$2" >"$1"
}
PORT=$(free_port)
config "$WORK/a.conf" "$DB" "$PORT"
(cd "$ROOT" && "$BIN" --config "$WORK/a.conf" migrate) >"$WORK/migrate.log" 2>&1 || die "migrate failed"
PASSWORD=restore-$(python3 -c 'import secrets; print(secrets.token_hex(8))')
printf '%s\n' "$PASSWORD" | (cd "$ROOT" && "$BIN" --config "$WORK/a.conf" user-add admin --role admin) \
	>/dev/null 2>&1 || die "user-add failed"

start_daemon() { # start_daemon CONFIG PORT
	(cd "$ROOT" && exec "$BIN" --config "$1") 2>>"$WORK/daemon.err" &
	DAEMON_PID=$!
	wait_healthy "$DAEMON_PID" "http://127.0.0.1:$2" 30 || die "the daemon did not start"
}
stop_daemon() {
	stop_pid "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}
api() { # api PORT ACTION [ARG]: login | house | resident CODE HOUSE | verify
	python3 - "$@" <<EOF
import json, sys, urllib.request
port, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
base = f"http://127.0.0.1:{port}/api/v1"
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())
token = call("POST", "/auth/login", {"username": "admin", "password": "$PASSWORD"})["token"]
if action == "house":
    print(call("POST", "/houses", {"code": "RST", "name": "Restore"}, token)["id"])
elif action == "resident":
    call("POST", "/residents", {"house_id": args[1], "full_name": "Resident " + args[0], "register_number": args[0],
                                "sex": "female", "legal_status": "parole"}, token)
elif action == "verify":
    print(json.dumps(call("GET", "/audit/verify", None, token)))
EOF
}

start_daemon "$WORK/a.conf" "$PORT"
HOUSE=$(api "$PORT" house) || die "cannot create the house"
api "$PORT" resident R1 "$HOUSE" || die "R1"
say "base backup (pg_basebackup -Ft -z -X fetch)"
as_pg "$PGBIN/pg_basebackup" -d "$SUPER" -D "$WORK/base/b1" -Ft -z -X fetch -c fast >/dev/null 2>&1 ||
	die "pg_basebackup failed"
api "$PORT" resident R2 "$HOUSE" || die "R2"
sleep 1
T=$("${PSQL[@]}" "$DB" -c "SELECT now()")
sleep 1
api "$PORT" resident R3 "$HOUSE" || die "R3"
stop_daemon
"$PGBIN/pg_dump" -Fc -d "$DB" -f "$WORK/abipraya.dump" || die "pg_dump failed"
# close the WAL segment holding R3, and wait until it is archived
last=$("${PSQL[@]}" "$SUPER" -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
"${PSQL[@]}" "$SUPER" -c "SELECT pg_switch_wal()" >/dev/null
for ((i = 0; i < 100; i++)); do
	[[ -f $WORK/archive/$last ]] && break
	sleep 0.2
done
[[ -f $WORK/archive/$last ]] || die "WAL segment $last was not archived"

FAILED=()
residents() { # residents DBURL: the register numbers, sorted, on one line
	"${PSQL[@]}" "$1" -c "SELECT string_agg(register_number, ' ' ORDER BY register_number) FROM app.residents"
}

# ------------------------------------------------------------------ point in time
NEWPORT=$(free_port)
say "restore.sh pitr to $T"
bash "$ROOT/deploy/restore.sh" pitr "$WORK/base/b1" "$WORK/archive" "$NEWDATA" --target-time "$T" \
	--port "$NEWPORT" --start || die "restore.sh pitr failed"
got=$(residents "postgresql://postgres@127.0.0.1:$NEWPORT/abipraya")
if [[ $got == "R1 R2" ]]; then
	say "ok: pitr: residents $got (R3 came after the target time)"
else
	FAILED+=("pitr residents: '$got', expected 'R1 R2'")
fi
PORT2=$(free_port)
config "$WORK/b.conf" "postgresql://postgres@127.0.0.1:$NEWPORT/abipraya" "$PORT2"
(cd "$ROOT" && "$BIN" --config "$WORK/b.conf" migrate) >>"$WORK/migrate.log" 2>&1 || FAILED+=("migrate on the pitr copy")
start_daemon "$WORK/b.conf" "$PORT2"
verdict=$(api "$PORT2" verify)
[[ $verdict == *'"ok": true'* ]] && say "ok: pitr: audit verify $verdict" || FAILED+=("pitr audit verify: $verdict")
stop_daemon

# ------------------------------------------------------------------ pg_dump
"${PSQL[@]}" "$SUPER" -c "CREATE DATABASE abipraya_restored" || die "createdb failed"
RESTORED=postgresql://postgres@127.0.0.1:$PGPORT/abipraya_restored
bash "$ROOT/deploy/restore.sh" dump "$WORK/abipraya.dump" "$RESTORED" || FAILED+=("restore.sh dump")
if bash "$ROOT/deploy/restore.sh" dump "$WORK/abipraya.dump" "$RESTORED" >/dev/null 2>&1; then
	FAILED+=("restore.sh dump into a non-empty database was not refused")
fi
got=$(residents "$RESTORED")
[[ $got == "R1 R2 R3" ]] && say "ok: dump: residents $got" || FAILED+=("dump residents: '$got'")
PORT3=$(free_port)
config "$WORK/c.conf" "$RESTORED" "$PORT3"
out=$(cd "$ROOT" && "$BIN" --config "$WORK/c.conf" migrate 2>&1) || FAILED+=("migrate on the dump copy: $out")
start_daemon "$WORK/c.conf" "$PORT3"
verdict=$(api "$PORT3" verify)
[[ $verdict == *'"ok": true'* ]] && say "ok: dump: audit verify $verdict" || FAILED+=("dump audit verify: $verdict")
stop_daemon

if ((${#FAILED[@]})); then
	printf '%s: FAILED: %s\n' "$LIB_NAME" "${FAILED[@]}"
	exit 1
fi
say "passed"
