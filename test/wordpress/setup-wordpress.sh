#!/usr/bin/env bash
# Installs a throw-away WordPress (Debian's `wordpress` package) for the bridge's
# end-to-end tests: one database, one wp-content folder and one config per port,
# so several sites can exist side by side.
#
# usage: test/wordpress/setup-wordpress.sh SCRATCH_DIR PORT [options]
#   --sidecar-url URL     store as the bridge's sidecar URL option
#   --token TOKEN         store as the bridge's API token option
#   --secret SECRET       store as the bridge's callback secret option
#   --stand-in-as         also activate the stand-in Action Scheduler fixture
#   --no-fixtures         do not activate the test-hooks fixture plugin
#   --no-bridge           do not activate the bridge plugin (a plain site, e.g. for the stand-in's own tests)
#   --db NAME             database name (default wecoza_wp_PORT); dropped and recreated
#   --admin-password PW   password of user `admin` (default wecoza-test-admin)
# Then serve it with test/wordpress/serve-wordpress.sh PORT, and remove it with
# test/wordpress/teardown-wordpress.sh SCRATCH_DIR PORT.
#
# Environment: WP_ROOT (default /usr/share/wordpress), WP_CONFIG_DIR (default
# /etc/wordpress), MYSQL_HOST/MYSQL_PORT (127.0.0.1/3306, user root, no password).
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SCRATCH="$1"
PORT="$2"
shift 2
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "PORT must be a number: $PORT" >&2; exit 2; }

WP_ROOT="${WP_ROOT:-/usr/share/wordpress}"
WP_CONFIG_DIR="${WP_CONFIG_DIR:-/etc/wordpress}"
MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
DB_NAME="wecoza_wp_${PORT}"
ADMIN_PASSWORD="wecoza-test-admin"
SIDECAR_URL="" TOKEN="" SECRET="" STAND_IN_AS=0 FIXTURES=1 BRIDGE=1

while [ $# -gt 0 ]; do
	case "$1" in
		--sidecar-url) SIDECAR_URL="$2"; shift 2 ;;
		--token) TOKEN="$2"; shift 2 ;;
		--secret) SECRET="$2"; shift 2 ;;
		--stand-in-as) STAND_IN_AS=1; shift ;;
		--no-fixtures) FIXTURES=0; shift ;;
		--no-bridge) BRIDGE=0; shift ;;
		--db) DB_NAME="$2"; shift 2 ;;
		--admin-password) ADMIN_PASSWORD="$2"; shift 2 ;;
		*) echo "unknown option: $1" >&2; usage ;;
	esac
done
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || { echo "--db must be letters, digits and _" >&2; exit 2; }

mysql_cmd() { mysql -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root "$@"; }

# MariaDB: start it when it is down (no systemd here), then wait until it answers.
if ! mysqladmin -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1; then
	echo "starting MariaDB" >&2
	start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
	for _ in $(seq 1 60); do
		mysqladmin -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root --connect-timeout=1 ping >/dev/null 2>&1 && break
		sleep 0.5
	done
	mysqladmin -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u root ping >/dev/null
fi
mysql_cmd -e "DROP DATABASE IF EXISTS \`$DB_NAME\`; CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"

# wp-content for this site: plugins are symlinks, so edits to the repo show at once.
mkdir -p "$SCRATCH"
SCRATCH="$(cd "$SCRATCH" && pwd)"
CONTENT="$SCRATCH/wp-content"
rm -rf "$CONTENT"
rm -f "$SCRATCH/debug.log"
mkdir -p "$CONTENT/plugins" "$CONTENT/themes" "$CONTENT/uploads"
ln -s "$REPO/plugin-bridge" "$CONTENT/plugins/wecoza-sidecar"
for fixture in "$HERE"/fixtures/*/; do
	name="$(basename "$fixture")"
	case "$name" in wecoza-sidecar-test-theme | mu-plugins) continue ;; esac
	ln -s "${fixture%/}" "$CONTENT/plugins/$name"
done
mkdir -p "$CONTENT/mu-plugins"
ln -s "$HERE/fixtures/mu-plugins/wecoza-sidecar-test-quiet.php" "$CONTENT/mu-plugins/wecoza-sidecar-test-quiet.php"

# Themes: the package ships none by default; use any installed one, else our minimal theme.
THEME=""
for dir in "$WP_ROOT/wp-content/themes" /var/lib/wordpress/wp-content/themes; do
	for theme in "$dir"/*/; do
		[ -f "$theme/style.css" ] || continue
		name="$(basename "$theme")"
		[ -e "$CONTENT/themes/$name" ] || ln -s "${theme%/}" "$CONTENT/themes/$name"
		case "$name" in twentytwentythree) THEME="$name" ;; *) [ -n "$THEME" ] || THEME="$name" ;; esac
	done
done
if [ -z "$THEME" ]; then
	ln -s "$HERE/fixtures/wecoza-sidecar-test-theme" "$CONTENT/themes/wecoza-sidecar-test-theme"
	THEME="wecoza-sidecar-test-theme"
fi

salt() { head -c 48 /dev/urandom | base64 | tr -d '\n/+='; }
SITE_CONFIG="$SCRATCH/wp-config-site.php"
cat > "$SITE_CONFIG" <<PHP
<?php
// Test site on port $PORT, written by test/wordpress/setup-wordpress.sh.
define( 'DB_NAME', '$DB_NAME' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '$MYSQL_HOST:$MYSQL_PORT' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_CONTENT_DIR', '$CONTENT' );
define( 'WP_HOME', 'http://127.0.0.1:$PORT' );
define( 'WP_SITEURL', 'http://127.0.0.1:$PORT' );
define( 'WP_DEFAULT_THEME', '$THEME' );
// Page loads must not spawn WP-Cron: the tests request /wp-cron.php themselves.
define( 'DISABLE_WP_CRON', true );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$SCRATCH/debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
// No calls to wordpress.org from admin pages; loopback (the sidecar) stays allowed.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'FS_METHOD', 'direct' );
define( 'AUTH_KEY', '$(salt)' );
define( 'SECURE_AUTH_KEY', '$(salt)' );
define( 'LOGGED_IN_KEY', '$(salt)' );
define( 'NONCE_KEY', '$(salt)' );
define( 'AUTH_SALT', '$(salt)' );
define( 'SECURE_AUTH_SALT', '$(salt)' );
define( 'LOGGED_IN_SALT', '$(salt)' );
define( 'NONCE_SALT', '$(salt)' );
\$table_prefix = 'wp_';
PHP

# Debian's wp-config.php reads config-<host>.php, else config-default.php. Both
# become a dispatcher that picks the site by port, so sites on other ports coexist.
#
# Every file here is written to a temporary name and renamed into place: other
# sites may be serving requests (and reading these files) while this one is set
# up, and a reader must never see a half-written config.
mkdir -p "$WP_CONFIG_DIR/wecoza-sidecar-test"
printf "<?php\nrequire '%s';\n" "$SITE_CONFIG" > "$WP_CONFIG_DIR/wecoza-sidecar-test/$PORT.php.tmp$$"
mv -f "$WP_CONFIG_DIR/wecoza-sidecar-test/$PORT.php.tmp$$" "$WP_CONFIG_DIR/wecoza-sidecar-test/$PORT.php"
MARKER="wecoza-sidecar test dispatcher"
for file in "$WP_CONFIG_DIR/config-127.0.0.1.php" "$WP_CONFIG_DIR/config-default.php"; do
	if [ -f "$file" ] && ! grep -q "$MARKER" "$file"; then
		mv "$file" "$file.bak-$(date +%s)"
	fi
	cat > "$file.tmp$$" <<PHP
<?php
// $MARKER, written by test/wordpress/setup-wordpress.sh.
\$wecoza_sidecar_host = \$_SERVER['HTTP_HOST'] ?? '';
\$wecoza_sidecar_port = preg_match( '/:(\\d+)\$/', \$wecoza_sidecar_host, \$m ) ? \$m[1] : ( \$_SERVER['SERVER_PORT'] ?? '80' );
\$wecoza_sidecar_site = __DIR__ . '/wecoza-sidecar-test/' . preg_replace( '/\\D/', '', (string) \$wecoza_sidecar_port ) . '.php';
if ( ! is_file( \$wecoza_sidecar_site ) ) {
	header( 'HTTP/1.0 404 Not Found' );
	echo 'No WeCoza Sidecar test site is set up on this port.';
	exit( 1 );
}
require \$wecoza_sidecar_site;
unset( \$wecoza_sidecar_host, \$wecoza_sidecar_port, \$wecoza_sidecar_site, \$m );
PHP
	mv -f "$file.tmp$$" "$file"
done

export WP_ROOT
php "$HERE/wp-install.php" "$PORT" "$ADMIN_PASSWORD"

call() { php "$HERE/wp-call.php" "$PORT" "$@" >/dev/null; }
[ "$STAND_IN_AS" = 1 ] && call activate_plugin '["wecoza-sidecar-stand-in-action-scheduler/wecoza-sidecar-stand-in-action-scheduler.php"]'
[ "$FIXTURES" = 1 ] && call activate_plugin '["wecoza-sidecar-test-hooks/wecoza-sidecar-test-hooks.php"]'
[ -n "$SIDECAR_URL" ] && call update_option "[\"wecoza_sidecar_url\", \"$SIDECAR_URL\"]"
[ -n "$TOKEN" ] && call update_option "[\"wecoza_sidecar_token\", \"$TOKEN\"]"
[ -n "$SECRET" ] && call update_option "[\"wecoza_sidecar_callback_secret\", \"$SECRET\"]"
[ "$BRIDGE" = 1 ] && call activate_plugin '["wecoza-sidecar/wecoza-sidecar.php"]'

cat <<INFO
WordPress ready: http://127.0.0.1:$PORT/  (admin / $ADMIN_PASSWORD)
  database   $DB_NAME on $MYSQL_HOST:$MYSQL_PORT
  content    $CONTENT
  debug log  $SCRATCH/debug.log
  serve with $HERE/serve-wordpress.sh $PORT
INFO
