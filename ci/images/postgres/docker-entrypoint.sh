#!/usr/bin/env bash
# Entrypoint of throwaway's local postgres:15 stand-in (Debian's postgresql-15).
# It keeps the contract of the official image's entrypoint:
#
#   env  POSTGRES_PASSWORD     superuser password; required on an empty data dir
#                              unless POSTGRES_HOST_AUTH_METHOD=trust
#        POSTGRES_USER         superuser name (default postgres)
#        POSTGRES_DB           database created at init (default: the user name)
#        POSTGRES_INITDB_ARGS  extra initdb arguments (shell-quoted words)
#        POSTGRES_INITDB_WALDIR  WAL directory passed to initdb --waldir
#        POSTGRES_HOST_AUTH_METHOD  pg_hba method for TCP clients from other
#                              hosts (default scram-sha-256)
#        PGDATA                data directory (default /var/lib/postgresql/data)
#        VAR_FILE              read VAR from a file instead, for the POSTGRES_* above
#
#   On an empty data dir: initdb, start a temporary server that listens only on
#   the unix socket, create POSTGRES_DB, run /docker-entrypoint-initdb.d/* in
#   name order (*.sh sourced, or run if executable; *.sql, *.sql.gz, *.sql.xz,
#   *.sql.zst fed to psql with ON_ERROR_STOP), stop it, then run the real server.
#   Any failure stops the container with a non-zero status. A data dir that is
#   already initialised is used as is. Arguments starting with '-' are options
#   for postgres. Started as root, the server runs as the postgres user.
# No -u: init scripts are sourced into this shell and may rely on unset variables.
set -Eeo pipefail

me=$(basename "$0")
note() { printf '%s: %s\n' "$me" "$*"; }
fail() {
	printf '%s: error: %s\n' "$me" "$*" >&2
	exit 1
}

# VAR or VAR_FILE (not both), else a default; the result is exported so that
# init scripts see it too.
env_or_file() {
	local var=$1 default=${2-} file_var="${1}_FILE" value
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		fail "both $var and $file_var are set; use one of them"
	fi
	value=$default
	if [ -n "${!var:-}" ]; then
		value=${!var}
	elif [ -n "${!file_var:-}" ]; then
		value=$(<"${!file_var}")
	fi
	export "$var=$value"
	unset "$file_var"
}

wants_help() { # postgres options that only print something
	local a
	for a; do
		case $a in -'?' | --help | --describe-config | -V | --version | -C | -C*) return 0 ;; esac
	done
	return 1
}

setup_env() {
	env_or_file POSTGRES_PASSWORD
	env_or_file POSTGRES_USER postgres
	env_or_file POSTGRES_DB "$POSTGRES_USER"
	env_or_file POSTGRES_INITDB_ARGS
	: "${POSTGRES_INITDB_WALDIR:=}"
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	export PGDATA=${PGDATA:-/var/lib/postgresql/data}
	initialised=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		initialised=1
	fi
}

# Create the data, WAL and socket directories; as root, give them to postgres
# (a fresh tmpfs or bind mount is usually owned by root).
prepare_dirs() {
	local uid
	uid=$(id -u)
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" 2>/dev/null || :
	mkdir -p /var/run/postgresql
	chmod 03775 /var/run/postgresql 2>/dev/null || :
	if [ -n "$POSTGRES_INITDB_WALDIR" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		[ "$uid" != 0 ] || find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres:postgres '{}' +
		chmod 00700 "$POSTGRES_INITDB_WALDIR" 2>/dev/null || :
	fi
	if [ "$uid" = 0 ]; then
		find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
	fi
}

check_settings() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOM'
			Error: the database is not initialised and no superuser password is set.
			       Set POSTGRES_PASSWORD to a non-empty value (the superuser's password),
			       or set POSTGRES_HOST_AUTH_METHOD=trust to allow every connection
			       without a password (never do that outside a throwaway test).
		EOM
		exit 1
	fi
	if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
		note "warning: POSTGRES_HOST_AUTH_METHOD=trust: anyone who can reach this server can log in without a password"
	fi
}

# shellcheck disable=SC2120 # its arguments come from POSTGRES_INITDB_ARGS
run_initdb() {
	local extra=()
	[ -z "$POSTGRES_INITDB_WALDIR" ] || extra+=(--waldir="$POSTGRES_INITDB_WALDIR")
	# POSTGRES_INITDB_ARGS holds shell words, e.g. --data-checksums --locale="C"
	eval "set -- $POSTGRES_INITDB_ARGS"
	if [ -n "$POSTGRES_PASSWORD" ]; then
		initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${extra[@]}" "$@"
	else
		initdb --username="$POSTGRES_USER" "${extra[@]}" "$@"
	fi
}

# initdb trusts local socket and loopback connections; every other TCP client
# must use POSTGRES_HOST_AUTH_METHOD.
setup_hba() {
	local method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	printf '\n# added by the container entrypoint\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
}

sql() { # sql [psql args...]: run SQL as the superuser over the socket
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

start_temp_server() {
	# Same options as the real server, but reachable only through the socket.
	local opts
	opts=$(printf '%q ' "$@" -c "listen_addresses=" -p "${PGPORT:-5432}")
	PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -o "$opts" -w start
}

stop_temp_server() {
	PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -m fast -w stop
}

create_database() {
	local exists
	exists=$(printf "SELECT 1 FROM pg_database WHERE datname = :'db';\n" |
		sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align --quiet)
	if [ -z "$exists" ]; then
		printf 'CREATE DATABASE :"db";\n' | sql --dbname postgres --set db="$POSTGRES_DB" --quiet
		note "created database $POSTGRES_DB"
	fi
}

run_init_files() {
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case $f in
		*.sh)
			if [ -x "$f" ]; then
				note "running $f"
				"$f"
			else
				note "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			note "running $f"
			sql --dbname "$POSTGRES_DB" -f "$f"
			;;
		*.sql.gz)
			note "running $f"
			gzip -dc "$f" | sql --dbname "$POSTGRES_DB"
			;;
		*.sql.xz)
			note "running $f"
			xz -dc "$f" | sql --dbname "$POSTGRES_DB"
			;;
		*.sql.zst)
			note "running $f"
			zstd -dcq "$f" | sql --dbname "$POSTGRES_DB"
			;;
		*) note "ignoring $f" ;;
		esac
	done
}

main() {
	if [ "${1:0:1}" = - ]; then
		set -- postgres "$@"
	fi
	if [ "${1-}" != postgres ] || wants_help "$@"; then
		exec "$@"
	fi

	setup_env
	prepare_dirs
	if [ "$(id -u)" = 0 ]; then
		exec gosu postgres "$0" "$@"
	fi

	if [ -z "$initialised" ]; then
		check_settings
		run_initdb
		setup_hba
		shift # the temporary server gets the options, not the "postgres"
		start_temp_server "$@"
		create_database
		run_init_files
		stop_temp_server
		set -- postgres "$@"
		# the official image logs this line; some tools wait for it
		echo "PostgreSQL init process complete; ready for start up."
	else
		note "$PGDATA already holds a database; skipping initialisation"
	fi
	exec "$@"
}

main "$@"
