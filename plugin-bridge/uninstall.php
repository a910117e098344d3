<?php
/**
 * Removes the bridge's own settings and state when the plugin is deleted.
 * WeCoza's options (recipients, cursor) are left alone: they belong to WeCoza.
 *
 * @package WeCoza\Sidecar
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

foreach ( array(
	'wecoza_sidecar_url',
	'wecoza_sidecar_token',
	'wecoza_sidecar_callback_secret',
	'wecoza_sidecar_hook_allowlist',
	'wecoza_sidecar_routed_groups',
	'wecoza_sidecar_db_version',
	'wecoza_sidecar_cursor_import',
	'wecoza_sidecar_recipients_pending',
	'wecoza_sidecar_moved_groups',
	'wecoza_sidecar_move_journal',
) as $wecoza_sidecar_option ) {
	delete_option( $wecoza_sidecar_option );
}
delete_transient( 'wecoza_sidecar_health' );
delete_transient( 'wecoza_sidecar_last_failure' );

global $wpdb;
// Replay memory rows and per-user test results share the prefix; none is needed any more.
$wpdb->query(
	$wpdb->prepare(
		"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s",
		$wpdb->esc_like( 'wecoza_sidecar_seen_' ) . '%',
		$wpdb->esc_like( '_transient_wecoza_sidecar_test_result_' ) . '%',
		$wpdb->esc_like( '_transient_timeout_wecoza_sidecar_test_result_' ) . '%'
	)
);
wp_unschedule_hook( 'wecoza_sidecar_process_notifications' );
wp_unschedule_hook( 'wecoza_sidecar_move_routed_actions' );
