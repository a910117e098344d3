#!/usr/bin/env bash
# Serves the test site set up for PORT with PHP's built-in server, in the
# foreground. Several workers, because the sidecar calls back into WordPress
# while a WordPress request may be waiting on the sidecar.
#
# usage: test/wordpress/serve-wordpress.sh PORT
#
# Stop it with SIGTERM or SIGINT to this script's pid: the workers are children
# of the PHP master and outlive it if only the master is signalled, so the trap
# below ends them by pid first. (Signalling the whole process group works too;
# SIGKILL to this script alone would leave the PHP processes running.)
set -euo pipefail
PORT="${1:?usage: serve-wordpress.sh PORT}"
WP_ROOT="${WP_ROOT:-/usr/share/wordpress}"
export PHP_CLI_SERVER_WORKERS="${PHP_CLI_SERVER_WORKERS:-4}"

php -S "127.0.0.1:$PORT" -t "$WP_ROOT" &
PHP_PID=$!

stop() {
	trap - TERM INT HUP
	local workers
	workers="$(ps -o pid= --ppid "$PHP_PID" 2>/dev/null || true)"
	[ -n "$workers" ] && kill -TERM $workers 2>/dev/null || true
	kill -TERM "$PHP_PID" 2>/dev/null || true
	wait "$PHP_PID" 2>/dev/null || true
	exit 0
}
trap stop TERM INT HUP
wait "$PHP_PID"
