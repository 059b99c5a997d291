#!/usr/bin/env bash
# The listener's protocol floor, then the project's integration tests over TLS:
#
#   tests/tls/run.sh [PATH-TO-ABIPRAYAD] [--only SUBSTR]... [-v] [--acceptance DIR]
#
# Makes a self-signed certificate (openssl req), starts a throwaway PostgreSQL cluster
# and a daemon with server.tls_cert/tls_key set, then:
#   1. openssl s_client: TLS 1.0 and 1.1 are refused (the client offers them at
#      SECLEVEL=0, so the refusal is the server's), TLS 1.2 and 1.3 work and serve
#      /healthz, a TLS 1.2 RSA-key-exchange/CBC cipher is refused, plain HTTP gets no answer;
#   2. the integration tests of TLS_TESTS below in the harness's TLS mode
#      (ABIPRAYA_TEST_TLS): every daemon they start listens with TLS, their requests, raw
#      sockets and event streams speak it; test_route_walk.py calls every route of
#      src/api/routes.c and fails when one is missing. --only: test-name substrings.
# With --acceptance DIR (a black-box suite's folder, as .ci/run gives it), step 2 is instead
# that suite, unchanged, against two daemons on one database, through
# tests/tls/tls_runner.py (HTTPS and TLS raw sockets); --only and -v go to its runner.py.
# Nothing outside the repository is needed without --acceptance. Exits non-zero when
# anything failed. The binary defaults to $ABIPRAYAD, else build-test/abiprayad, else
# builds build-tls with meson.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -uo pipefail

LIB_NAME=tests/tls/run.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

# The integration tests run over TLS, each with its harness arguments (a leading "-" leaves
# a test out). Together with the protocol floor they are the TLS pass of scripts/test.
TLS_TESTS=(
	"test_route_walk.py"    # every route of src/api/routes.c, each with its documented status
	"test_ops.py"           # headers, 404/405/413/415/400 problems over TLS
	"test_openapi.py"       # a document larger than one TLS record, ETag and 304
	"test_events.py"        # event streams across two instances over TLS
	# SIGTERM with TLS requests in flight: each gets a whole answer (the loop of connections
	# through a SIGTERM counts TCP resets of plain sockets: a TCP matter, run in the plain pass)
	"test_sigterm.py -in_a_loop"
	"test_idempotency.py"   # replays across a restart and two instances
	"test_audit_chain.py"   # 100 concurrent changes through two instances
)

BIN=${ABIPRAYAD:-}
ONLY=()
SUITE_DIR=
VERBOSE=()
while (($#)); do
	case $1 in
	--only)
		ONLY+=("${2:?--only needs a string}")
		shift
		;;
	-v) VERBOSE=(-v) ;;
	--acceptance)
		SUITE_DIR=${2:?--acceptance needs a folder}
		shift
		;;
	-h | --help)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) BIN=$1 ;;
	esac
	shift
done

NDAEMONS=1
if [[ -n $SUITE_DIR ]]; then
	[[ -f $SUITE_DIR/runner.py ]] || die "no acceptance runner at $SUITE_DIR/runner.py"
	SUITE_DIR=$(cd "$SUITE_DIR" && pwd)
	NDAEMONS=2 # the suite's --base2
fi
command -v openssl >/dev/null || die "openssl is missing"

if [[ -z $BIN ]]; then
	if [[ -x $ROOT/build-test/abiprayad ]]; then
		BIN=$ROOT/build-test/abiprayad
	else
		[[ -f $ROOT/build-tls/build.ninja ]] || meson setup "$ROOT/build-tls" "$ROOT" >/dev/null || die "meson setup failed"
		meson compile -C "$ROOT/build-tls" >/dev/null || die "meson compile failed"
		BIN=$ROOT/build-tls/abiprayad
	fi
fi
[[ -x $BIN ]] || die "$BIN is not an executable"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

WORK=$(mktemp -d /tmp/abipraya-tls.XXXXXX) || die "mktemp failed"
chmod 711 "$WORK" # the postgres user must reach its cluster below
PGTMP=$WORK/pg
PGDATA=$PGTMP/data
PIDS=()
cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
	if [[ -f $PGDATA/postmaster.pid ]]; then
		pid=$(head -n1 "$PGDATA/postmaster.pid")
		as_pg "$PG_CTL" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
		[[ -n $pid ]] && stop_pid "$pid"
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ certificate
say "self-signed certificate (EC P-256, CN=localhost, SAN 127.0.0.1)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.log" ||
	{
		cat "$WORK/openssl.log" >&2
		die "openssl req failed"
	}
chmod 600 "$WORK/key.pem"

# ------------------------------------------------------------------ PostgreSQL
find_pgbin
mkdir -p "$PGTMP"
start_throwaway_cluster "-c synchronous_commit=off" || die "PostgreSQL did not start"
create_test_database abipraya

# ------------------------------------------------------------------ daemons
PORT1=$(free_port)
PORT2=$(free_port)
while [[ $PORT2 == "$PORT1" ]]; do PORT2=$(free_port); done
write_config() { # write_config FILE PORT
	cat >"$1" <<EOF
# written by tests/tls/run.sh
[server]
listen = 127.0.0.1:$2
workers = 2
max_body = 1048576
tls_cert = $WORK/cert.pem
tls_key = $WORK/key.pem
[database]
url = $DB_URL
pool = 4
[security]
token_ttl = 43200
login_max_failures = 5
login_window = 900
[log]
level = info
EOF
}
CONFIG=$WORK/abipraya.conf
write_config "$CONFIG" "$PORT1"
write_config "$WORK/abipraya2.conf" "$PORT2"
migrate_and_add_admin "$CONFIG" "$WORK"

for ((n = 1; n <= NDAEMONS; n++)); do
	conf=$CONFIG port=$PORT1
	[[ $n == 2 ]] && conf=$WORK/abipraya2.conf port=$PORT2
	(cd "$ROOT" && exec "$BIN" --config "$conf") >"$WORK/daemon$n.out" 2>"$WORK/daemon$n.err" &
	PIDS+=($!)
	wait_healthy "${PIDS[-1]}" "https://127.0.0.1:$port" 30 || {
		tail -n 30 "$WORK/daemon$n.err" >&2
		die "daemon $n did not start"
	}
	say "daemon $n (pid ${PIDS[-1]}) on https://127.0.0.1:$port"
done

# ------------------------------------------------------------------ protocol checks
FAILED=()
s_client() { # s_client ARGS...: one TLS session to daemon 1 sending GET /healthz; output on stdout
	printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -connect "127.0.0.1:$PORT1" -servername localhost -ign_eof "$@" 2>&1
}
for version in tls1 tls1_1; do
	out=$(s_client "-$version" -cipher 'DEFAULT:@SECLEVEL=0')
	if grep -q "no protocols available" <<<"$out"; then
		warn "this openssl cannot offer -$version at all: the check proves nothing"
	elif grep -q "HTTP/1.1 200" <<<"$out"; then
		FAILED+=("$version accepted")
		warn "FAILED: -$version was accepted"
	else
		say "ok: -$version refused ($(grep -oE 'alert [a-z ]+|wrong version number|unsupported protocol|no shared cipher' <<<"$out" | head -n1 || echo "handshake failed"))"
	fi
done
for version in tls1_2 tls1_3; do
	out=$(s_client "-$version")
	proto=$(grep -m1 -oE 'Protocol *: *TLSv1\.[0-9]|New, TLSv1\.[0-9]' <<<"$out" | grep -oE 'TLSv1\.[0-9]')
	cipher=$(grep -m1 -oE 'Cipher is [A-Za-z0-9_-]+' <<<"$out" | cut -d' ' -f3)
	if grep -q "HTTP/1.1 200" <<<"$out"; then
		say "ok: -$version works ($proto, $cipher) and serves /healthz"
	else
		FAILED+=("$version")
		warn "FAILED: -$version: $(tail -n 5 <<<"$out")"
	fi
done
out=$(s_client -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0')
if grep -q "HTTP/1.1 200" <<<"$out"; then
	FAILED+=("weak cipher AES128-SHA accepted")
	warn "FAILED: TLS 1.2 with AES128-SHA (RSA key exchange, CBC) was accepted"
else
	say "ok: TLS 1.2 with AES128-SHA refused"
fi
plain=$(python3 - "$PORT1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print(data[:40])
EOF
)
if [[ $plain == *"HTTP/1.1 200"* ]]; then
	FAILED+=("plain HTTP served")
	warn "FAILED: plain HTTP was served on the TLS port"
else
	say "ok: plain HTTP on the TLS port is not served (got ${plain})"
fi

# ------------------------------------------------------------------ tests over TLS
integration_over_tls() { # the TLS_TESTS in the harness's TLS mode, on this cluster
	local line words out=$WORK/integration.out
	for line in "${TLS_TESTS[@]}"; do
		read -r -a words <<<"$line"
		say "over TLS: ${words[*]} ${ONLY[*]}"
		if ! (cd "$ROOT" && ABIPRAYA_TEST_TLS=$WORK PATH=$PGBIN:$PATH \
			ABIPRAYA_TEST_PGURL=postgresql://postgres@127.0.0.1:$PGPORT/postgres \
			python3 "tests/integration/${words[0]}" "$BIN" "${words[@]:1}" ${ONLY[@]+"${ONLY[@]}"}) |
			tee "$out"; then
			FAILED+=("${words[0]} over TLS")
		elif ((${#ONLY[@]} == 0)) && ! grep -q "^harness: TLS mode: TLSv1\.[23] " "$out"; then
			# the harness reports its first TLS connection: a silent plain run proves nothing
			# (with --only, a script may have run no test that connects)
			FAILED+=("${words[0]} did not speak TLS")
			warn "FAILED: ${words[0]} made no TLS connection"
		fi
	done
}

if [[ -z $SUITE_DIR ]]; then
	integration_over_tls
	WHAT="integration tests over TLS, every route"
else
	say "acceptance suite over TLS ($SUITE_DIR/runner.py)"
	args=()
	for s in ${ONLY[@]+"${ONLY[@]}"}; do args+=(--only "$s"); done
	(cd "$ROOT" && python3 "$ROOT/tests/tls/tls_runner.py" "$SUITE_DIR/runner.py" \
		--base "https://127.0.0.1:$PORT1" --base2 "https://127.0.0.1:$PORT2" \
		--admin-user admin --admin-password "$ADMIN_PASSWORD" \
		--db "$DB_URL" --config "$CONFIG" --bin "$BIN" \
		${args[@]+"${args[@]}"} ${VERBOSE[@]+"${VERBOSE[@]}"} "$SUITE_DIR") || FAILED+=("acceptance over TLS")
	WHAT="acceptance suite over TLS"
fi

for i in "${!PIDS[@]}"; do
	pid=${PIDS[$i]}
	if ! alive "$pid"; then
		FAILED+=("daemon $((i + 1)) died")
		tail -n 30 "$WORK/daemon$((i + 1)).err" >&2
		continue
	fi
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	((rc == 0)) || FAILED+=("daemon $((i + 1)) exited $rc on SIGTERM")
done
PIDS=()

if ((${#FAILED[@]})); then
	echo "$LIB_NAME: FAILED: ${FAILED[*]}"
	exit 1
fi
echo "$LIB_NAME: passed (TLS 1.0/1.1 refused, 1.2/1.3 work, $WHAT)"
