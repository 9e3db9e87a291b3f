#!/bin/sh
# Entrypoint of throwaway's local eclipse-mosquitto:2 stand-in. It keeps the
# contract of the official image's entrypoint:
#   - started as root, it hands everything under /mosquitto to the mosquitto
#     user first, carrying on if it cannot (a read-only mounted config file);
#     it drops no privileges itself: mosquitto, started as root, switches to
#     the user named by its `user` option, which defaults to mosquitto;
#   - NO_AUTHENTICATION=1 with the default command runs the broker with
#     /mosquitto-no-auth.conf instead (a listener on 1883 for anonymous
#     clients); any other command runs as given.
set -e

if [ "$(id -u)" = 0 ] && [ -d /mosquitto ]; then
	chown -R mosquitto:mosquitto /mosquitto || true
fi

if [ "${NO_AUTHENTICATION-}" = 1 ] && [ "$*" = '/usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf' ]; then
	exec /usr/sbin/mosquitto -c /mosquitto-no-auth.conf
fi

exec "$@"
