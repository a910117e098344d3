<?php
/**
 * The few WordPress functions the admin pages' pure parts call, for unit tests without WordPress.
 * `WP_Stub_User::$caps` decides current_user_can().
 *
 * @package WeCoza\Sidecar\Tests
 */

final class WP_Stub_User {

	/**
	 * @var string[] Capabilities of the current user.
	 */
	public static array $caps = array( 'manage_options' );
}

function current_user_can( $capability ): bool {
	return in_array( $capability, WP_Stub_User::$caps, true );
}

function wp_unslash( $value ) {
	return is_string( $value ) ? stripslashes( $value ) : $value;
}

function sanitize_text_field( $text ) {
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $text ) ) );
}
