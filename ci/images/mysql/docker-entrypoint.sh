#!/usr/bin/env bash
# Entrypoint of throwaway's local mysql:8 stand-in (Debian's MariaDB 10.11 behind
# the official mysql image's contract). It keeps the contract of that image's
# entrypoint:
#
#   env  MYSQL_ROOT_PASSWORD         root's password; on an empty data dir one of
#        MYSQL_ALLOW_EMPTY_PASSWORD  these three is required
#        MYSQL_RANDOM_ROOT_PASSWORD  (logged as "GENERATED ROOT PASSWORD: …")
#        MYSQL_ONETIME_PASSWORD      expire root's password after init
#        MYSQL_ROOT_HOST             host part of the second root account (default %)
#        MYSQL_DATABASE              database created at init
#        MYSQL_USER, MYSQL_PASSWORD  a user created at init, with every right on
#                                    MYSQL_DATABASE
#        MYSQL_INITDB_SKIP_TZINFO    skip loading the time zone tables
#        VAR_FILE                    read VAR from a file instead
#   MARIADB_* variables mean nothing here, as in the official mysql image.
#
#   On an empty data dir: initialise it, start a temporary server with
#   networking off (socket only), set up the accounts and database above, run
#   /docker-entrypoint-initdb.d/* in name order (*.sh sourced, or run if
#   executable; *.sql, *.sql.gz, *.sql.xz, *.sql.zst through the client, into
#   MYSQL_DATABASE), stop it, then run the real server. Any failure stops the
#   container with a non-zero status. Arguments starting with '-' are options for
#   mysqld. Started as root, the server runs as mysql.
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

config_value() { # config_value NAME mysqld-args…: what the server would use
	local name=$1
	shift
	"$@" --verbose --help 2>/dev/null | awk -v n="$name" '$1 == n && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }'
}

setup_env() {
	DATADIR=$(config_value datadir "$@")
	DATADIR=${DATADIR%/}
	SOCKET=$(config_value socket "$@")
	env_or_file MYSQL_ROOT_HOST '%'
	env_or_file MYSQL_DATABASE
	env_or_file MYSQL_USER
	env_or_file MYSQL_PASSWORD
	env_or_file MYSQL_ROOT_PASSWORD
	initialised=
	[ ! -d "$DATADIR/mysql" ] || initialised=1
}

check_settings() {
	if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "${MYSQL_ALLOW_EMPTY_PASSWORD:-}" ] && [ -z "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
		fail $'Database is uninitialized and password option is not specified\n\tYou need to specify one of the following as an environment variable:\n\t- MYSQL_ROOT_PASSWORD\n\t- MYSQL_ALLOW_EMPTY_PASSWORD\n\t- MYSQL_RANDOM_ROOT_PASSWORD'
	fi
	if [ "$MYSQL_USER" = root ]; then
		fail $'MYSQL_USER="root", MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user\n\tRemove MYSQL_USER="root" and use one of the following to control the root user password:\n\t- MYSQL_ROOT_PASSWORD\n\t- MYSQL_ALLOW_EMPTY_PASSWORD\n\t- MYSQL_RANDOM_ROOT_PASSWORD'
	fi
}

# sql [client args…]: SQL on stdin, as root over the socket; the password is
# empty until setup_accounts sets it.
sql() {
	MYSQL_PWD=${root_password-} mysql --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "$@"
}

start_temp_server() {
	"$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" &
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
	if [ -z "${MYSQL_INITDB_SKIP_TZINFO:-}" ] && [ -d /usr/share/zoneinfo ]; then
		mysql_tzinfo_to_sql /usr/share/zoneinfo 2>/dev/null | sql --database=mysql
	fi
	if [ -n "${MYSQL_RANDOM_ROOT_PASSWORD:-}" ]; then
		MYSQL_ROOT_PASSWORD=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
		export MYSQL_ROOT_PASSWORD
		note "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
	fi
	local pw host statements
	pw=$(literal "$MYSQL_ROOT_PASSWORD")
	host=$MYSQL_ROOT_HOST
	statements="SET @@SESSION.SQL_LOG_BIN=0;
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost'));
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
	if [ -n "$host" ] && [ "$host" != localhost ]; then
		statements+="
CREATE USER 'root'@$(literal "$host") IDENTIFIED BY $pw;
GRANT ALL ON *.* TO 'root'@$(literal "$host") WITH GRANT OPTION;"
	fi
	if [ -n "$MYSQL_DATABASE" ]; then
		note "Creating database ${MYSQL_DATABASE}"
		statements+="
CREATE DATABASE IF NOT EXISTS $(ident "$MYSQL_DATABASE");"
	fi
	if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
		note "Creating user ${MYSQL_USER}"
		statements+="
CREATE USER $(literal "$MYSQL_USER")@'%' IDENTIFIED BY $(literal "$MYSQL_PASSWORD");"
		if [ -n "$MYSQL_DATABASE" ]; then
			note "Giving user ${MYSQL_USER} access to schema ${MYSQL_DATABASE}"
			# In a GRANT, '_' in a database name is a wildcard unless escaped.
			statements+="
GRANT ALL ON $(ident "${MYSQL_DATABASE//_/\\_}").* TO $(literal "$MYSQL_USER")@'%';"
		fi
	fi
	sql --database=mysql --binary-mode <<<"$statements"
	root_password=$MYSQL_ROOT_PASSWORD
}

run_init_files() {
	local f db=()
	[ -z "$MYSQL_DATABASE" ] || db=(--database="$MYSQL_DATABASE")
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
		set -- mysqld "$@"
	fi
	if [ "$1" != mysqld ] || wants_help "$@"; then
		exec "$@"
	fi
	note "Entrypoint script for MySQL Server $(mysqld --version | awk '{ print $3 }') started."
	local errors
	errors=$("$@" --verbose --help 2>&1 >/dev/null) || fail $'Unable to start server. Please check your configuration.\n\t'"$errors"
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
		# mysqld --initialize-insecure in the official image; MariaDB's tool here,
		# with the server's options passed on.
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
		if [ -n "${MYSQL_ONETIME_PASSWORD:-}" ]; then
			# Expired from the first start on: root must set a new password.
			printf "ALTER USER 'root'@'%%' PASSWORD EXPIRE;\nALTER USER 'root'@'localhost' PASSWORD EXPIRE;\n" >"$DATADIR/.onetime.sql"
			set -- "$@" --init-file="$DATADIR/.onetime.sql"
			note "Setting root user as expired. Password will need to be changed before database can be used."
		fi
		echo
		note "MySQL init process done. Ready for start up."
		echo
	fi
	exec "$@"
}

main "$@"
