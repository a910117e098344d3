<?php
/**
 * What every admin page of the bridge shares: who may see it, how an action is checked, how its
 * outcome is shown after the redirect, and how addresses are shown to those who may not see them.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Static helpers, not a service: the pages call them while rendering and handling their forms.
 */
final class Admin_Screen {

	public const DEFAULT_CAPABILITY = 'manage_options';

	/**
	 * Per-user notices to show once on the next page load (after an admin-post redirect).
	 */
	private const FLASH_TRANSIENT = 'wecoza_sidecar_admin_flash_';

	/**
	 * The capability the bridge's admin pages need.
	 */
	public static function capability(): string {
		/**
		 * Filters the capability that opens the bridge's admin pages (Notifications, Scheduled
		 * Actions, the dashboard status widget) and allows their actions.
		 *
		 * @param string $capability Default `manage_options`.
		 */
		$capability = \apply_filters( 'wecoza_sidecar_admin_capability', self::DEFAULT_CAPABILITY );
		return is_string( $capability ) && '' !== $capability ? $capability : self::DEFAULT_CAPABILITY;
	}

	public static function current_user_can_view(): bool {
		return \current_user_can( self::capability() );
	}

	/**
	 * E-mail addresses are shown to administrators only, as WeCoza's own settings page does: a site
	 * that opens the pages to another role (through the capability filter) shows that role masks.
	 */
	public static function current_user_sees_addresses(): bool {
		return \current_user_can( 'manage_options' );
	}

	/**
	 * `ops@example.com` for administrators; `o…@example.com` for everyone else.
	 */
	public static function address( string $address ): string {
		if ( self::current_user_sees_addresses() ) {
			return $address;
		}
		$at = strrpos( $address, '@' );
		if ( false === $at || 0 === $at ) {
			return '…';
		}
		return mb_substr( $address, 0, 1 ) . '…' . substr( $address, $at );
	}

	/**
	 * Text that may echo an address (an SMTP reply), for everyone but administrators with every
	 * address in it masked.
	 */
	public static function text_with_addresses( string $text ): string {
		if ( self::current_user_sees_addresses() ) {
			return $text;
		}
		return (string) preg_replace_callback(
			'/[^\s<>"\'@]+@[^\s<>"\']+/',
			static fn( array $match ): string => self::address( $match[0] ),
			$text
		);
	}

	/**
	 * The checks every form handler starts with: the capability, then the nonce. Either failing
	 * ends the request with 403 before anything is sent to the sidecar.
	 *
	 * @param string $action Nonce action.
	 */
	public static function verify_request( string $action ): void {
		if ( ! self::current_user_can_view() ) {
			\wp_die( \esc_html__( 'Sorry, you are not allowed to do this.', 'wecoza-sidecar' ), '', array( 'response' => 403 ) );
		}
		if ( false === \wp_verify_nonce( (string) \wp_unslash( $_REQUEST['_wpnonce'] ?? '' ), $action ) ) {
			\wp_die( \esc_html__( 'The link you followed has expired. Reload the page and try again.', 'wecoza-sidecar' ), '', array( 'response' => 403 ) );
		}
	}

	/**
	 * Queue a notice for the current user's next page load.
	 *
	 * @param string $type    `success`, `warning`, `error` or `info` (core notice classes).
	 * @param string $message Plain text.
	 */
	public static function flash( string $type, string $message ): void {
		$key     = self::FLASH_TRANSIENT . \get_current_user_id();
		$notices = \get_transient( $key );
		$notices = is_array( $notices ) ? $notices : array();
		$notices[] = array(
			'type'    => $type,
			'message' => $message,
		);
		\set_transient( $key, $notices, 5 * MINUTE_IN_SECONDS );
	}

	/**
	 * Queue the notice for a failed sidecar call.
	 *
	 * @param string   $what  What was being done, for the message.
	 * @param WP_Error $error The client's error.
	 */
	public static function flash_error( string $what, WP_Error $error ): void {
		self::flash(
			'error',
			sprintf(
				/* translators: 1: what was being done, 2: the sidecar's error message, 3: the error code. */
				\__( '%1$s failed: %2$s (%3$s)', 'wecoza-sidecar' ),
				$what,
				$error->get_error_message(),
				$error->get_error_code()
			)
		);
	}

	/**
	 * Print and forget the current user's queued notices.
	 */
	public static function render_flash(): void {
		$key     = self::FLASH_TRANSIENT . \get_current_user_id();
		$notices = \get_transient( $key );
		if ( ! is_array( $notices ) ) {
			return;
		}
		\delete_transient( $key );
		foreach ( $notices as $notice ) {
			$type = in_array( $notice['type'] ?? '', array( 'success', 'warning', 'error', 'info' ), true ) ? $notice['type'] : 'info';
			printf(
				'<div class="notice notice-%1$s is-dismissible"><p>%2$s</p></div>',
				\esc_attr( $type ),
				\esc_html( (string) ( $notice['message'] ?? '' ) )
			);
		}
	}

	/**
	 * Redirect back to a page of ours after a form was handled.
	 *
	 * @param string $url Where to.
	 */
	public static function redirect( string $url ): void {
		\wp_safe_redirect( $url );
		exit;
	}

	/**
	 * A sidecar ISO 8601 time in the site's format and time zone, or a dash.
	 *
	 * @param mixed $iso Time from the sidecar.
	 */
	public static function time( $iso ): string {
		if ( ! is_string( $iso ) || '' === $iso ) {
			return '—';
		}
		$timestamp = strtotime( $iso );
		if ( false === $timestamp ) {
			return '—';
		}
		return \wp_date( \get_option( 'date_format' ) . ' ' . \get_option( 'time_format' ), $timestamp );
	}

	/**
	 * The referring page of ours, or `$fallback`: where a form handler goes back to.
	 *
	 * @param string $fallback URL.
	 */
	public static function back_url( string $fallback ): string {
		$referer = \wp_get_referer();
		return false === $referer ? $fallback : $referer;
	}
}
