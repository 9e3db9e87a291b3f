#!/bin/sh
# Entrypoint of throwaway's local memcached:1.6 stand-in, with the official image's
# contract: a first argument that is an option (-m 64, --port=…) means "memcached with
# these options"; anything else runs as given.
set -e
case "${1-}" in
-*) set -- memcached "$@" ;;
esac
exec "$@"
