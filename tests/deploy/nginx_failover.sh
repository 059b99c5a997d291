#!/usr/bin/env bash
# Two abiprayad instances behind nginx (Debian's package) on loopback, rolled under load:
#
#   tests/deploy/nginx_failover.sh [PATH-TO-ABIPRAYAD]
#
# Installs nginx with apt-get when it is missing (as root, or through sudo), starts a
# throwaway PostgreSQL cluster, makes a self-signed certificate, and runs nginx with
# deploy/nginx.conf itself (only addresses, ports and certificate paths substituted).
# tests/deploy/failover_load.py then starts both daemons and sends a steady load of
# writes and reads through nginx while it stops (SIGTERM) and restarts each instance in
# turn: no request may fail except ones in flight at a SIGTERM, and every acknowledged
# write must be in the database. The binary defaults to $ABIPRAYAD, else build-test/abiprayad.
# shellcheck disable=SC2317 # cleanup runs from a trap
set -uo pipefail

LIB_NAME=tests/deploy/nginx_failover.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

test_binary "${1:-}"

# ------------------------------------------------------------------ nginx
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x $NGINX ]]; then
	ensure_packages nginx
	NGINX=/usr/sbin/nginx
	# Debian's postinst starts the packaged service; it is not ours to leave running
	if [[ -f /run/nginx.pid ]] && ! pidof systemd >/dev/null; then
		"$NGINX" -s quit 2>/dev/null || true
	fi
fi
[[ -x $NGINX ]] || die "nginx is missing"

WORK=$(mktemp -d /tmp/abipraya-nginx.XXXXXX) || die "mktemp failed"
chmod 711 "$WORK"
PGTMP=$WORK/pg
PGDATA=$PGTMP/data
NGINX_PID=""
cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	[[ -n $NGINX_PID ]] && stop_pid "$NGINX_PID"
	if [[ -f $PGDATA/postmaster.pid ]]; then
		pid=$(head -n1 "$PGDATA/postmaster.pid")
		as_pg "$PG_CTL" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
		[[ -n $pid ]] && stop_pid "$pid"
	fi
	if ((rc != 0)); then
		for f in "$WORK"/nginx-error.log "$WORK"/daemon-*.err; do
			[[ -s $f ]] && {
				echo "----- $f" >&2
				tail -n 20 "$f" >&2
			}
		done
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ PostgreSQL
find_pgbin
mkdir -p "$PGTMP"
start_throwaway_cluster || die "PostgreSQL did not start"
create_test_database abipraya

# ------------------------------------------------------------------ daemons' configuration
PORT_A=$(free_port)
PORT_B=$(free_port)
while [[ $PORT_B == "$PORT_A" ]]; do PORT_B=$(free_port); done
for n in A B; do
	port=$PORT_A
	[[ $n == B ]] && port=$PORT_B
	cat >"$WORK/$n.conf" <<EOF
[server]
listen = 127.0.0.1:$port
workers = 2
[database]
url = $DB_URL
pool = 4
[log]
level = warn
EOF
done
migrate_and_add_admin "$WORK/A.conf" "$WORK"

# ------------------------------------------------------------------ nginx with deploy/nginx.conf
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.log" || die "openssl req failed"
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
sed -e "s|server 10\.0\.0\.11:8080|server 127.0.0.1:$PORT_A|" \
	-e "s|server 10\.0\.0\.12:8080|server 127.0.0.1:$PORT_B|" \
	-e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$HTTP_PORT;|" \
	-e "s|^\( *\)listen 443 ssl;|\1listen 127.0.0.1:$HTTPS_PORT ssl;|" \
	-e "/listen \[::\]/d" \
	-e "s|/etc/ssl/abipraya/fullchain.pem|$WORK/cert.pem|" \
	-e "s|/etc/ssl/abipraya/privkey.pem|$WORK/key.pem|" \
	"$ROOT/deploy/nginx.conf" >"$WORK/abipraya.nginx.conf"
grep -q "127.0.0.1:$PORT_B" "$WORK/abipraya.nginx.conf" || die "deploy/nginx.conf has no upstream 10.0.0.12:8080 to substitute"
mkdir -p "$WORK/tmp"
user_line=""
is_root && user_line="user root;"
cat >"$WORK/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $WORK/nginx-access.log;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    include $WORK/abipraya.nginx.conf;
}
EOF
"$NGINX" -t -c "$WORK/nginx.conf" -p "$WORK" >"$WORK/nginx-t.log" 2>&1 || {
	cat "$WORK/nginx-t.log" >&2
	die "nginx -t failed on deploy/nginx.conf"
}
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
say "nginx $("$NGINX" -v 2>&1 | cut -d/ -f2) (pid $NGINX_PID) on https://127.0.0.1:$HTTPS_PORT -> 127.0.0.1:$PORT_A, 127.0.0.1:$PORT_B"

# ------------------------------------------------------------------ the load, the rolls
# steps 4 s apart: nginx keeps a refused instance out for fail_timeout (5 s), so the first
# instance must be back in rotation well before the second one stops
python3 "$ROOT/tests/deploy/failover_load.py" --phase 4 --bin "$BIN" --config "$WORK/A.conf" --config "$WORK/B.conf" \
	--url "https://127.0.0.1:$HTTPS_PORT" --db "$DB_URL" --psql "$PGBIN/psql" \
	--admin-password "$ADMIN_PASSWORD" --logdir "$WORK"
rc=$?
say "nginx logged $(grep -c '\[error\]' "$WORK/nginx-error.log" 2>/dev/null || echo 0) upstream errors (refused connections are expected)"
exit "$rc"
