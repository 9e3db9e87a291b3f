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
#
#   Init scripts that are sourced see the helpers the official entrypoint
#   defines, under the same names: file_env VAR [DEFAULT], docker_process_sql
#   [psql args] (psql as the superuser over the socket, into POSTGRES_DB, with
#   ON_ERROR_STOP), the array psql (for "${psql[@]}"), docker_setup_env,
#   docker_temp_server_start/stop and the rest. Sourced by another script
#   (`. docker-entrypoint.sh`), this file only defines them.
# No -u: init scripts are sourced into this shell and may rely on unset variables.
set -Eeo pipefail

me=$(basename "$0")
note() { printf '%s: %s\n' "$me" "$*"; }
fail() {
	printf '%s: error: %s\n' "$me" "$*" >&2
	exit 1
}

# file_env VAR [DEFAULT]: VAR or VAR_FILE (not both), else DEFAULT; the result
# is exported so that init scripts see it too.
file_env() {
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

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_INITDB_WALDIR:=}"
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	export PGDATA=${PGDATA:-/var/lib/postgresql/data}
	# the official entrypoint's name for "PGDATA is already initialised"
	DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

# Create the data, WAL and socket directories; as root, give them to postgres
# (a fresh tmpfs or bind mount is usually owned by root).
docker_create_db_directories() {
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

docker_verify_minimum_env() {
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
docker_init_database_dir() {
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
pg_setup_hba_conf() {
	local method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	printf '\n# added by the container entrypoint\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
}

# docker_process_sql [psql args...]: SQL as the superuser over the unix socket
# (PGHOST and PGHOSTADDR are cleared so a caller's settings cannot send it
# elsewhere), into POSTGRES_DB unless the arguments name another database.
docker_process_sql() {
	local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	[ -z "${POSTGRES_DB:-}" ] || runner+=(--dbname "$POSTGRES_DB")
	PGHOST='' PGHOSTADDR='' "${runner[@]}" "$@"
}

docker_temp_server_start() {
	# Same options as the real server, but reachable only through the socket.
	local opts
	opts=$(printf '%q ' "$@" -c "listen_addresses=" -p "${PGPORT:-5432}")
	PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -o "$opts" -w start
}

docker_temp_server_stop() {
	PGUSER=$POSTGRES_USER pg_ctl -D "$PGDATA" -m fast -w stop
}

docker_setup_db() {
	local exists
	exists=$(printf "SELECT 1 FROM pg_database WHERE datname = :'db';\n" |
		POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align --quiet)
	if [ -z "$exists" ]; then
		printf 'CREATE DATABASE :"db";\n' | POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$POSTGRES_DB" --quiet
		note "created database $POSTGRES_DB"
	fi
}

# docker_process_init_files [file...]: runs each file as an init script.
docker_process_init_files() {
	local f
	# scripts written for the official image run "${psql[@]}"
	psql=(docker_process_sql)
	for f; do
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
			docker_process_sql -f "$f"
			;;
		*.sql.gz)
			note "running $f"
			gzip -dc "$f" | docker_process_sql
			;;
		*.sql.xz)
			note "running $f"
			xz -dc "$f" | docker_process_sql
			;;
		*.sql.zst)
			note "running $f"
			zstd -dcq "$f" | docker_process_sql
			;;
		*) note "ignoring $f" ;;
		esac
	done
}

_main() {
	if [ "${1:0:1}" = - ]; then
		set -- postgres "$@"
	fi
	if [ "${1-}" != postgres ] || wants_help "$@"; then
		exec "$@"
	fi

	docker_setup_env
	docker_create_db_directories
	if [ "$(id -u)" = 0 ]; then
		exec gosu postgres "$0" "$@"
	fi

	if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
		docker_verify_minimum_env
		docker_init_database_dir
		pg_setup_hba_conf
		shift # the temporary server gets the options, not the "postgres"
		docker_temp_server_start "$@"
		docker_setup_db
		docker_process_init_files /docker-entrypoint-initdb.d/*
		docker_temp_server_stop
		set -- postgres "$@"
		# the official image logs this line; some tools wait for it
		echo "PostgreSQL init process complete; ready for start up."
	else
		note "$PGDATA already holds a database; skipping initialisation"
	fi
	exec "$@"
}

# Sourced (by an init script or another image's entrypoint): define only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	_main "$@"
fi
