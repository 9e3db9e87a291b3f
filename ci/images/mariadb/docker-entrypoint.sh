#!/usr/bin/env bash
# Entrypoint of throwaway's local mariadb:11 stand-in (Debian's MariaDB 10.11).
# It keeps the contract of the official image's entrypoint:
#
#   env  MARIADB_ROOT_PASSWORD            root's password; on an empty data dir one of
#        MARIADB_ALLOW_EMPTY_ROOT_PASSWORD  these three is required
#        MARIADB_RANDOM_ROOT_PASSWORD     (logged as "GENERATED ROOT PASSWORD: …")
#        MARIADB_ROOT_HOST                host part of the second root account (default %)
#        MARIADB_DATABASE                 database created at init
#        MARIADB_USER, MARIADB_PASSWORD   a user created at init, with every right on
#                                         MARIADB_DATABASE
#        MARIADB_INITDB_SKIP_TZINFO       skip loading the time zone tables
#        MYSQL_*                          the same, for each MARIADB_* left unset
#        VAR_FILE                         read VAR from a file instead
#
#   On an empty data dir: mariadb-install-db, a temporary server with networking
#   off (socket only), the accounts and database above, then
#   /docker-entrypoint-initdb.d/* in name order (*.sh sourced, or run if
#   executable; *.sql, *.sql.gz, *.sql.xz, *.sql.zst through the client, into
#   MARIADB_DATABASE), the temporary server stopped, then the real one. Any
#   failure stops the container with a non-zero status. Arguments starting with
#   '-' are options for mariadbd. Started as root, the server runs as mysql.
set -Eeo pipefail
shopt -s nullglob

log() { printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$1" "${*:2}"; }
note() { log Note "$@"; }
warn() { log Warn "$@" >&2; }
fail() {
	log ERROR "$@" >&2
	exit 1
}

# VAR or VAR_FILE (not both), else a default; exported for init scripts.
env_or_file() {
	local var=$1 default=${2-} file_var="${1}_FILE" value
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		fail "Both $var and $file_var are set (but are exclusive)"
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

# MARIADB_x wins; MYSQL_x fills it in when unset; afterwards both hold the value.
both_families() {
	local mysql=$1 maria="MARIADB_${1#MYSQL_}" default=${2-}
	env_or_file "$mysql" "$default"
	env_or_file "$maria" "${!mysql}"
	export "$mysql=${!maria}"
}

config_value() { # config_value NAME mariadbd-args…: what the server would use
	local name=$1
	shift
	"$@" --verbose --help 2>/dev/null | awk -v n="$name" '$1 == n && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'
}

setup_env() {
	DATADIR=$(config_value datadir "$@")
	DATADIR=${DATADIR%/}
	SOCKET=$(config_value socket "$@")
	both_families MYSQL_ROOT_HOST '%'
	both_families MYSQL_DATABASE
	both_families MYSQL_USER
	both_families MYSQL_PASSWORD
	both_families MYSQL_ROOT_PASSWORD
	: "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:=${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
	: "${MARIADB_RANDOM_ROOT_PASSWORD:=${MYSQL_RANDOM_ROOT_PASSWORD:-}}"
	: "${MARIADB_INITDB_SKIP_TZINFO:=${MYSQL_INITDB_SKIP_TZINFO:-}}"
	export MARIADB_ALLOW_EMPTY_ROOT_PASSWORD MARIADB_RANDOM_ROOT_PASSWORD MARIADB_INITDB_SKIP_TZINFO
	initialised=
	[ ! -d "$DATADIR/mysql" ] || initialised=1
}

check_settings() {
	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		fail $'Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD'
	fi
	if [ "$MARIADB_USER" = root ]; then
		fail "MARIADB_USER=root: MARIADB_USER and MARIADB_PASSWORD are for a regular user; use MARIADB_ROOT_PASSWORD for root"
	fi
}

# sql [client args…]: SQL on stdin, as root over the socket. Before the root
# password is set (setup_accounts) the password is empty.
sql() {
	MYSQL_PWD=${root_password-} mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "$@"
}

start_temp_server() {
	"$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --expire-logs-days=0 &
	temp_pid=$!
	note "Waiting for server startup"
	local i
	for i in $(seq 300); do
		if sql --database=mysql <<<'SELECT 1' &>/dev/null; then
			return 0
		fi
		kill -0 "$temp_pid" 2>/dev/null || fail "Unable to start server."
		sleep 0.1
	done
	fail "Unable to start server."
}

stop_temp_server() {
	kill "$temp_pid"
	wait "$temp_pid"
}

literal() { # a value quoted for an SQL string
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}

ident() { printf '`%s`' "${1//\`/\`\`}"; }

setup_accounts() {
	if [ -z "$MARIADB_INITDB_SKIP_TZINFO" ] && [ -d /usr/share/zoneinfo ]; then
		mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo 2>/dev/null | sql --database=mysql
	fi
	if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		MARIADB_ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
		export MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD=$MARIADB_ROOT_PASSWORD
		note "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
	fi
	local pw host statements
	pw=$(literal "$MARIADB_ROOT_PASSWORD")
	statements="SET @@SESSION.SQL_LOG_BIN=0;
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost'));
FLUSH PRIVILEGES;
SET PASSWORD FOR 'root'@'localhost' = PASSWORD($pw);"
	host=$MARIADB_ROOT_HOST
	if [ -n "$host" ] && [ "$host" != localhost ]; then
		statements+="
CREATE USER 'root'@$(literal "$host") IDENTIFIED BY $pw;
GRANT ALL ON *.* TO 'root'@$(literal "$host") WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO 'root'@$(literal "$host") WITH GRANT OPTION;"
	fi
	if [ -n "$MARIADB_DATABASE" ]; then
		note "Creating database ${MARIADB_DATABASE}"
		statements+="
CREATE DATABASE IF NOT EXISTS $(ident "$MARIADB_DATABASE");"
	fi
	if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
		note "Creating user ${MARIADB_USER}"
		statements+="
CREATE USER $(literal "$MARIADB_USER")@'%' IDENTIFIED BY $(literal "$MARIADB_PASSWORD");"
		if [ -n "$MARIADB_DATABASE" ]; then
			note "Giving user ${MARIADB_USER} access to schema ${MARIADB_DATABASE}"
			# In a GRANT, '_' in a database name is a wildcard unless escaped.
			statements+="
GRANT ALL ON $(ident "${MARIADB_DATABASE//_/\\_}").* TO $(literal "$MARIADB_USER")@'%';"
		fi
	fi
	sql --database=mysql --binary-mode <<<"$statements"
	root_password=$MARIADB_ROOT_PASSWORD
}

run_init_files() {
	local f db=()
	[ -z "$MARIADB_DATABASE" ] || db=(--database="$MARIADB_DATABASE")
	echo
	for f in /docker-entrypoint-initdb.d/*; do
		case $f in
		*.sh)
			if [ -x "$f" ]; then
				note "$0: running $f"
				"$f"
			else
				note "$0: sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql) note "$0: running $f"; sql "${db[@]}" <"$f"; echo ;;
		*.sql.gz) note "$0: running $f"; gzip -dc "$f" | sql "${db[@]}"; echo ;;
		*.sql.xz) note "$0: running $f"; xzcat "$f" | sql "${db[@]}"; echo ;;
		*.sql.zst) note "$0: running $f"; zstd -dcq "$f" | sql "${db[@]}"; echo ;;
		*) warn "$0: ignoring $f" ;;
		esac
	done
}

wants_help() {
	local a
	for a; do
		case $a in -'?' | --help | --print-defaults | -V | --version) return 0 ;; esac
	done
	return 1
}

main() {
	if [ "${1:0:1}" = - ]; then
		set -- mariadbd "$@"
	fi
	if { [ "$1" != mariadbd ] && [ "$1" != mysqld ]; } || wants_help "$@"; then
		exec "$@"
	fi
	note "Entrypoint script for MariaDB Server $(mariadbd --version | awk '{ print $3 }') started."
	local errors
	errors=$("$@" --verbose --help 2>&1 >/dev/null) || fail $'mariadbd failed while attempting to check config\n\tcommand was: '"$*"$'\n\t'"$errors"
	setup_env "$@"
	mkdir -p "$DATADIR" "${SOCKET%/*}"
	if [ "$(id -u)" = 0 ]; then
		# A fresh tmpfs or volume is usually root's.
		find "$DATADIR" "${SOCKET%/*}" -maxdepth 0 \! -user mysql -exec chown mysql:mysql '{}' +
		note "Switching to dedicated user 'mysql'"
		exec gosu mysql "${BASH_SOURCE[0]}" "$@"
	fi
	if [ -z "$initialised" ]; then
		check_settings
		note "Initializing database files"
		# Options for the server go to mariadb-install-db too (it passes them on).
		mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
			--skip-test-db --skip-name-resolve --skip-log-bin --default-time-zone=SYSTEM "${@:2}" >/dev/null
		note "Database files initialized"
		note "Starting temporary server"
		start_temp_server "$@"
		note "Temporary server started."
		setup_accounts
		run_init_files
		note "Stopping temporary server"
		stop_temp_server
		note "Temporary server stopped"
		echo
		note "MariaDB init process done. Ready for start up."
		echo
	fi
	exec "$@"
}

main "$@"
