<?php
/**
 * Shared by the CLI helpers: pretend to be a request to the test site on a
 * port, so Debian's wp-config.php finds the site's config (it keys on HTTP_HOST).
 *
 * @package WeCoza\Sidecar\Tests
 */

/**
 * @param string $port Port of the site, as given to setup-wordpress.sh.
 */
function wecoza_sidecar_test_pretend_request( string $port ): void {
	if ( ! preg_match( '/^\d+$/', $port ) ) {
		fwrite( STDERR, "PORT must be a number\n" );
		exit( 2 );
	}
	$_SERVER['HTTP_HOST']       = '127.0.0.1:' . $port;
	$_SERVER['SERVER_NAME']     = '127.0.0.1';
	$_SERVER['SERVER_PORT']     = $port;
	$_SERVER['REQUEST_URI']     = '/';
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
}

function wecoza_sidecar_test_wp_root(): string {
	return rtrim( getenv( 'WP_ROOT' ) ?: '/usr/share/wordpress', '/' ) . '/';
}
