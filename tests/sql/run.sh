#!/usr/bin/env bash
# SQL-side tests of abipraya: applies sql/migrations/*.sql then sql/api/*.sql to a fresh
# database in one transaction (as abiprayad migrate does), loads the demo seed,
# runs tests/sql/test_api.sql (scenarios of every op through api.run) and concurrency races
# with parallel psql sessions. Exits non-zero on the first failure.
#
#   tests/sql/run.sh                 # starts a throwaway cluster (as user postgres when root)
#   PGHOST=... PGPORT=... PGUSER=... tests/sql/run.sh --existing   # use a running server
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DB=abipraya_sqltest
TMP=

die() { echo "run.sh: $*" >&2; exit 1; }

cleanup() {
    if [[ -n $TMP && -f $TMP/data/postmaster.pid ]]; then
        as_pg "$PGBIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n $TMP ]]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

as_pg() { if [[ $(id -u) -eq 0 ]]; then (cd "$TMP" && runuser -u postgres -- "$@"); else "$@"; fi; }

if [[ ${1:-} != --existing ]]; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [[ -x $PGBIN/initdb ]] || die "no PostgreSQL binaries under /usr/lib/postgresql"
    TMP=$(mktemp -d /tmp/abipraya-sqltest.XXXXXX)
    [[ $(id -u) -eq 0 ]] && chown postgres "$TMP"
    export PGHOST=$TMP PGUSER=postgres
    PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    export PGPORT
    as_pg "$PGBIN/initdb" -D "$TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 \
        || die "initdb failed: $(tail -5 "$TMP/initdb.log")"
    as_pg "$PGBIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w start \
        -o "-c listen_addresses='' -p $PGPORT -k $TMP" >/dev/null || die "postgres did not start"
fi

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$DB")
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"

echo "== migrations"
FILES=()
for f in "$ROOT"/sql/migrations/[0-9]*.sql "$ROOT"/sql/api/[0-9]*.sql; do FILES+=(-f "$f"); done
"${PSQL[@]}" -1 "${FILES[@]}" || die "the migrations failed"

echo "== seed (in scripts/run's order: admin, seed, the house's users, seed; then again: idempotent)"
"${PSQL[@]}" -c "SELECT api.cli_user_add('admin', 'admin', '{}', 'x')" >/dev/null
"${PSQL[@]}" -f "$ROOT/sql/seed/demo.sql" >/dev/null
"${PSQL[@]}" -c "SELECT api.cli_user_add(u, r, '{}', 'x') FROM (VALUES ('manager','manager'),
                 ('caseworker','caseworker'),('staff','staff')) v(u, r)" >/dev/null
"${PSQL[@]}" -f "$ROOT/sql/seed/demo.sql" >/dev/null
"${PSQL[@]}" -f "$ROOT/sql/seed/demo.sql" >/dev/null
"${PSQL[@]}" -At -c "SELECT format('seed: %s beds, %s residents, %s active stays, %s open movements, %s violations, %s goals',
    (SELECT count(*) FROM app.beds), (SELECT count(*) FROM app.residents),
    (SELECT count(*) FROM app.stays WHERE checked_out_at IS NULL), (SELECT count(*) FROM app.movements WHERE returned_at IS NULL),
    (SELECT count(*) FROM app.violations), (SELECT count(*) FROM app.goals))"
"${PSQL[@]}" -f "$HERE/helpers.sql"
"${PSQL[@]}" -c "DO \$\$ BEGIN
    PERFORM tst.user('seedcheck', 'manager', (SELECT house_ids FROM app.users WHERE username = 'manager'));
    PERFORM tst.ok(jsonb_array_length((tst.call('seedcheck', 'beds.board',
        jsonb_build_object('house_id', (SELECT id FROM app.houses WHERE code = 'GAJ-01')))).body->'items') >= 28, 'seed board');
    PERFORM tst.ok((tst.call('seedcheck', 'exit_plans.worklist')).status = 200, 'seed worklist');
END \$\$"

echo "== scenarios"
"${PSQL[@]}" -f "$HERE/test_api.sql"

echo "== races"
# one bed, N residents at once: exactly one 201, the rest 409 bed_occupied
"${PSQL[@]}" -At -c "SELECT tst.user('racer', 'staff', ARRAY[(SELECT id FROM app.houses WHERE code = 'T-R')])" >/dev/null
read -r HOUSE <<<"$("${PSQL[@]}" -At -c "SELECT id FROM app.houses WHERE code = 'T-R'")"
read -r ROOM <<<"$("${PSQL[@]}" -At -c "SELECT (tst.call('t_admin', 'rooms.create', jsonb_build_object('house_id', '$HOUSE', 'code', 'RACE', 'sex', 'any'))).body->>'id'")"
BEDS=()
for i in $(seq 1 8); do
    BEDS+=("$("${PSQL[@]}" -At -c "SELECT (tst.call('t_admin', 'beds.create', jsonb_build_object('room_id', '$ROOM', 'label', 'R$i'))).body->>'id'")")
done
RES=()
for i in $(seq 1 12); do
    RES+=("$("${PSQL[@]}" -At -c "SELECT (tst.call('t_admin', 'residents.create', jsonb_build_object('house_id', '$HOUSE',
          'full_name', 'Racer $i', 'register_number', 'RACE-$i', 'sex', 'male', 'legal_status', 'parole'))).body->>'id'")")
done

race() {   # race OUTFILE "RESIDENT BED" ...: all check-ins start together (pg_sleep_until a common instant)
    local out=$1; shift
    local start
    start=$("${PSQL[@]}" -At -c "SELECT now() + interval '1.5 seconds'")
    : >"$out"
    for pair in "$@"; do
        set -- $pair
        "${PSQL[@]}" -At -c "SELECT pg_sleep_until('$start'); SELECT r.status || ' ' || coalesce(r.body->>'code', '')
            FROM tst.call('racer', 'stays.checkin', jsonb_build_object('resident_id', '$1', 'bed_id', '$2',
                 'rules_acknowledged', true)) r" | grep -v '^$' >>"$out" &
    done
    wait
}
OUT=${TMP:-/tmp}/race.out

pairs=(); for i in $(seq 0 9); do pairs+=("${RES[$i]} ${BEDS[0]}"); done
race "$OUT" "${pairs[@]}"
sort "$OUT" | uniq -c
[[ $(grep -c '^201' "$OUT") -eq 1 && $(grep -c '^409 bed_occupied' "$OUT") -eq 9 ]] || die "bed race: not exactly one winner"

pairs=(); for i in $(seq 1 7); do pairs+=("${RES[10]} ${BEDS[$i]}"); done
race "$OUT" "${pairs[@]}"
sort "$OUT" | uniq -c
[[ $(grep -c '^201' "$OUT") -eq 1 && $(grep -c '^409 resident_in_residence' "$OUT") -eq 6 ]] || die "resident race: not exactly one winner"

"${PSQL[@]}" -c "DO \$\$ BEGIN
    PERFORM tst.ok((SELECT count(*) = count(DISTINCT bed_id) FROM app.bed_periods WHERE to_at IS NULL), 'one open period per bed');
    PERFORM tst.ok((SELECT count(*) = count(DISTINCT resident_id) FROM app.stays WHERE checked_out_at IS NULL), 'one active stay per resident');
    PERFORM tst.ok((tst.call('t_admin', 'audit.verify')).body->'ok' = 'true', 'audit chain after races');
END \$\$"

echo "run.sh: all SQL tests passed"
