#!/usr/bin/env bash
# Removes what setup-wordpress.sh created for PORT: the database, the per-port
# config pointer and the scratch folder's wp-content. Leaves the dispatcher files.
#
# usage: test/wordpress/teardown-wordpress.sh SCRATCH_DIR PORT [--db NAME]
set -euo pipefail
SCRATCH="${1:?usage: teardown-wordpress.sh SCRATCH_DIR PORT}"
PORT="${2:?usage: teardown-wordpress.sh SCRATCH_DIR PORT}"
DB_NAME="wecoza_wp_${PORT}"
[ "${3:-}" = --db ] && DB_NAME="${4:?--db needs a name}"
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || { echo "bad database name" >&2; exit 2; }
WP_CONFIG_DIR="${WP_CONFIG_DIR:-/etc/wordpress}"
mysql -h "${MYSQL_HOST:-127.0.0.1}" -P "${MYSQL_PORT:-3306}" -u root -e "DROP DATABASE IF EXISTS \`$DB_NAME\`;"
rm -f "$WP_CONFIG_DIR/wecoza-sidecar-test/$PORT.php"
rm -rf "$SCRATCH/wp-content" "$SCRATCH/wp-config-site.php"
