#!/usr/bin/env bash
# Entrypoint of throwaway's local redis:7.0 stand-in. It keeps the contract of
# the official image's entrypoint:
#   - a first argument that is an option (-x, --x) or a *.conf file means
#     "redis-server with these arguments";
#   - redis-server started as root re-runs itself as the redis user, after
#     handing the working directory (/data) to that user;
#   - unless a config file given as first argument sets protected-mode itself,
#     redis-server gets --protected-mode no, so the server answers connections
#     from outside the container (a bare redis-server would refuse them).
set -euo pipefail

case "${1-}" in
-* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

# Protected mode off (see above), except for the informational options that
# redis-server accepts only as its first argument.
if [ "${1-}" = redis-server ] && [[ ! "${2-}" =~ ^(-v|--version|-h|--help|--test-memory|--check-system)$ ]]; then
	shift
	config=
	if [ $# -gt 0 ] && [ -f "$1" ]; then
		config=$1
		shift
	fi
	if [ -n "$config" ] && grep -q '^[[:space:]]*protected-mode' "$config"; then
		set -- redis-server "$config" "$@"
	elif [ -n "$config" ]; then
		set -- redis-server "$config" --protected-mode no "$@"
	else
		set -- redis-server --protected-mode no "$@"
	fi
fi

# Files redis writes (dump.rdb, appendonly) stay private unless told otherwise.
if [ "$(umask)" = 0022 ]; then
	umask 0077
fi

exec "$@"
