<?php
/**
 * Calls one PHP function inside a test site and prints its result as JSON, so
 * the TypeScript suite can drive WordPress without a browser or wp-cli.
 *
 * usage: php test/wordpress/wp-call.php PORT FUNCTION ['[json, args, ...]']
 * prints: {"result": <value>, "output": "<anything the call echoed>"}
 *
 * Only the bridge's and the fixtures' functions, the as_* API and a few
 * option/cron/plugin helpers may be called: this runs arbitrary calls on a
 * test site only, but even there it should not become a general eval.
 * delete_plugins() is left out on purpose: the plugins are symlinks into the
 * repository, and WordPress would delete the files behind them.
 *
 * @package WeCoza\Sidecar\Tests
 */

require __DIR__ . '/wp-bootstrap.php';

wecoza_sidecar_test_pretend_request( $argv[1] ?? '' );
$wecoza_sidecar_function = $argv[2] ?? '';
$wecoza_sidecar_args     = json_decode( $argv[3] ?? '[]', true );

$wecoza_sidecar_allowed = array(
	'get_option',
	'update_option',
	'delete_option',
	'get_transient',
	'delete_transient',
	'activate_plugin',
	'deactivate_plugins',
	'is_plugin_active',
	'wp_next_scheduled',
	'wp_schedule_single_event',
	'wp_schedule_event',
	'wp_unschedule_hook',
	'_get_cron_array',
	'has_action',
	'rest_url',
	'wp_insert_user',
);
if ( ! in_array( $wecoza_sidecar_function, $wecoza_sidecar_allowed, true )
	&& ! preg_match( '/^(as_|wecoza_sidecar_)[a-z_]+$/', $wecoza_sidecar_function ) ) {
	fwrite( STDERR, "not callable from the harness: $wecoza_sidecar_function\n" );
	exit( 2 );
}
if ( ! is_array( $wecoza_sidecar_args ) || ! array_is_list( $wecoza_sidecar_args ) ) {
	fwrite( STDERR, "arguments must be a JSON array\n" );
	exit( 2 );
}

require wecoza_sidecar_test_wp_root() . 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( ! function_exists( $wecoza_sidecar_function ) ) {
	fwrite( STDERR, "undefined function: $wecoza_sidecar_function\n" );
	exit( 3 );
}

/**
 * JSON-friendly form of a result: WP_Error and objects become plain arrays.
 *
 * @param mixed $value Result.
 * @return mixed
 */
function wecoza_sidecar_test_exportable( $value ) {
	if ( is_wp_error( $value ) ) {
		return array( 'wp_error' => array( 'code' => $value->get_error_code(), 'message' => $value->get_error_message(), 'data' => $value->get_error_data() ) );
	}
	if ( is_object( $value ) ) {
		return method_exists( $value, 'to_array' ) ? $value->to_array() : get_object_vars( $value );
	}
	if ( is_array( $value ) ) {
		return array_map( 'wecoza_sidecar_test_exportable', $value );
	}
	return $value;
}

ob_start();
$wecoza_sidecar_result = call_user_func_array( $wecoza_sidecar_function, $wecoza_sidecar_args );
$wecoza_sidecar_output = (string) ob_get_clean();

// Shutdown hooks (the bridge's recipient sync) still run after this line.
echo wp_json_encode(
	array(
		'result' => wecoza_sidecar_test_exportable( $wecoza_sidecar_result ),
		'output' => $wecoza_sidecar_output,
	)
), "\n";
