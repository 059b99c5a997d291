#!/usr/bin/env bash
# Restores abipraya's database from a backup (see deploy/README.md, "Backups"):
#
#   deploy/restore.sh dump FILE DBURL
#       pg_restore of a `pg_dump -Fc` FILE into the database DBURL, which must exist and
#       be empty (createdb -O abipraya NAME); one transaction: all or nothing.
#
#   deploy/restore.sh pitr BASEBACKUP WALARCHIVE DATADIR [--target-time TIME] [--port PORT] [--start]
#       a new cluster in DATADIR (must not exist or be empty) from a `pg_basebackup -Ft`
#       directory (base.tar[.gz], pg_wal.tar[.gz]) or a plain one, replaying the WAL
#       archive up to TIME (e.g. '2026-01-31 14:05:00+07'; default: the end of the
#       archive), then promoted. archive_mode is switched off in the copy: it must not
#       write into the archive of the cluster it came from. --start starts it (on PORT)
#       and waits until the recovery is over; otherwise start it yourself with pg_ctl.
#
# Afterwards: point [database] url at the restored database, run `abiprayad migrate`
# (nothing to do when the backup is of the same release), start the daemons and check
# GET /api/v1/audit/verify (admin) says {"ok":true}. Run as root or as the postgres user.
# Environment: PGBIN (the directory of pg_ctl, pg_restore, psql; default: PATH, then
# the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

say() { printf 'restore.sh: %s\n' "$*"; }
die() {
	printf 'restore.sh: error: %s\n' "$*" >&2
	exit 1
}
usage() {
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

if [[ -z ${PGBIN:-} ]]; then
	# Debian's versioned directory first (the newest), then whatever PATH has
	# shellcheck disable=SC2012 # plain version directories
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) "$(dirname "$(command -v pg_ctl || echo /nonexistent/x)")"; do
		if [[ -x $dir/pg_ctl && -x $dir/pg_restore && -x $dir/psql ]]; then
			PGBIN=$dir
			break
		fi
	done
fi
[[ -x ${PGBIN:-}/pg_ctl && -x $PGBIN/pg_restore && -x $PGBIN/psql ]] ||
	die "cannot find pg_ctl, pg_restore and psql in one directory (set PGBIN)"

as_pg() { # run a server program as the postgres user when we are root
	if [[ $(id -u) -ne 0 ]]; then
		"$@"
	else
		(cd / && runuser -u postgres -- "$@")
	fi
}

restore_dump() {
	local file=$1 url=$2 n
	[[ -r $file ]] || die "cannot read $file"
	n=$("$PGBIN/psql" "$url" -X -q -t -A -v ON_ERROR_STOP=1 \
		-c "SELECT count(*) FROM pg_namespace WHERE nspname IN ('app', 'api')") ||
		die "cannot connect to $url"
	[[ $n == 0 ]] || die "the target database already holds abipraya's schemas: restore into a new, empty database"
	say "pg_restore $file into $url (one transaction)"
	"$PGBIN/pg_restore" --exit-on-error --single-transaction --no-owner --no-privileges -d "$url" "$file" ||
		die "pg_restore failed: nothing was restored"
	n=$("$PGBIN/psql" "$url" -X -q -t -A -c "SELECT count(*) FROM app.audit_log")
	say "restored: $n audit records; now: abiprayad migrate, start, GET /api/v1/audit/verify"
}

extract() { # extract ARCHIVE DIR: tar or tar.gz
	case $1 in
	*.gz) tar -xzf "$1" -C "$2" ;;
	*) tar -xf "$1" -C "$2" ;;
	esac
}

restore_pitr() {
	local base=$1 archive=$2 data=$3
	shift 3
	local target="" port="" start=0
	while (($#)); do
		case $1 in
		--target-time)
			target=${2:?--target-time needs a time}
			shift
			;;
		--port)
			port=${2:?--port needs a number}
			shift
			;;
		--start) start=1 ;;
		*) usage ;;
		esac
		shift
	done
	[[ -d $base ]] || die "no base backup directory $base"
	[[ -d $archive ]] || die "no WAL archive directory $archive"
	archive=$(cd "$archive" && pwd)
	if [[ -e $data ]] && [[ -n $(ls -A "$data") ]]; then
		die "$data exists and is not empty"
	fi
	mkdir -p "$data"
	data=$(cd "$data" && pwd)
	chmod 700 "$data"
	if [[ -f $base/base.tar.gz || -f $base/base.tar ]]; then
		say "extracting $base/base.tar* into $data"
		extract "$(ls "$base"/base.tar*)" "$data"
		if ls "$base"/pg_wal.tar* >/dev/null 2>&1; then
			extract "$(ls "$base"/pg_wal.tar*)" "$data/pg_wal"
		fi
	elif [[ -f $base/PG_VERSION ]]; then
		say "copying the plain base backup $base into $data"
		cp -a "$base/." "$data/"
	else
		die "$base is neither a tar-format nor a plain base backup"
	fi
	rm -f "$data/postmaster.pid" "$data/recovery.signal" "$data/standby.signal"
	{
		echo
		echo "# added by deploy/restore.sh $(date -u +%FT%TZ)"
		echo "restore_command = 'cp \"$archive/%f\" \"%p\"'"
		[[ -n $target ]] && echo "recovery_target_time = '$target'"
		echo "recovery_target_action = 'promote'"
		echo "archive_mode = off"
	} >>"$data/postgresql.auto.conf"
	touch "$data/recovery.signal"
	[[ $(id -u) -eq 0 ]] && chown -R postgres: "$data"
	say "cluster in $data, recovering ${target:+to $target }from $archive"
	((start)) || {
		say "start it: pg_ctl -D $data start; it promotes itself when the recovery is done"
		return 0
	}
	local opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$data"
	[[ -n $port ]] && opts+=" -p $port"
	as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/restore.log" -w -t 300 start -o "$opts" >/dev/null ||
		{
			tail -n 30 "$data/restore.log" >&2
			die "the restored cluster did not start"
		}
	local url="postgresql://postgres@127.0.0.1:${port:-5432}/postgres" i
	for ((i = 0; i < 600; i++)); do
		[[ $("$PGBIN/psql" "$url" -X -q -t -A -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && {
			say "recovered and promoted; listening on 127.0.0.1:${port:-5432}"
			return 0
		}
		sleep 0.5
	done
	die "still in recovery after 300 s (see $data/restore.log)"
}

(($# >= 1)) || usage
case $1 in
dump)
	(($# == 3)) || usage
	restore_dump "$2" "$3"
	;;
pitr)
	(($# >= 4)) || usage
	restore_pitr "${@:2}"
	;;
*) usage ;;
esac
