<?php
/**
 * Installs WordPress for a test site without a browser or wp-cli.
 *
 * usage: php test/wordpress/wp-install.php PORT [ADMIN_PASSWORD]
 *
 * @package WeCoza\Sidecar\Tests
 */

require __DIR__ . '/wp-bootstrap.php';

wecoza_sidecar_test_pretend_request( $argv[1] ?? '' );
$wecoza_sidecar_password = $argv[2] ?? 'wecoza-test-admin';

define( 'WP_INSTALLING', true );
require wecoza_sidecar_test_wp_root() . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

if ( is_blog_installed() ) {
	fwrite( STDERR, "WordPress is already installed in this database.\n" );
	exit( 1 );
}

// The "new site" e-mail would go to a real MTA if one were installed.
add_filter( 'pre_wp_mail', '__return_false' );

$wecoza_sidecar_result = wp_install( 'WeCoza Sidecar test site', 'admin', 'admin@example.com', false, '', wp_slash( $wecoza_sidecar_password ) );
if ( is_wp_error( $wecoza_sidecar_result ) ) {
	fwrite( STDERR, 'wp_install failed: ' . $wecoza_sidecar_result->get_error_message() . "\n" );
	exit( 1 );
}
// Plain permalinks: the REST API answers at /?rest_route=/..., no rewrite rules needed.
update_option( 'permalink_structure', '' );

echo wp_json_encode( array( 'installed' => true, 'user_id' => $wecoza_sidecar_result['user_id'], 'url' => home_url( '/' ) ) ), "\n";
