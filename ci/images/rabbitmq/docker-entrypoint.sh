#!/usr/bin/env bash
# Entrypoint of throwaway's local rabbitmq:3 stand-ins, with the official image's contract:
#   - a first argument that is an option means "rabbitmq-server with these arguments";
#   - a rabbitmq* command started as root re-runs itself as the rabbitmq user, after
#     handing the data directory to that user (for rabbitmq-server);
#   - anything else runs as given.
# RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS and RABBITMQ_DEFAULT_VHOST are read by the
# server itself, as in the official image.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- rabbitmq-server "$@"
fi

if [[ ${1-} == rabbitmq* ]] && [ "$(id -u)" = 0 ]; then
	if [ "$1" = rabbitmq-server ]; then
		find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +
	fi
	exec gosu rabbitmq "$BASH_SOURCE" "$@"
fi

exec "$@"
