<?php
/**
 * WP-Cron nudge for the sidecar's notification processor.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Replaces WeCoza's hourly in-PHP processor run with a once-a-minute call to
 * POST /v1/notifications/process. The sidecar also runs the processor on its
 * own timer, so this event is a nudge, not the only trigger: notifications no
 * longer wait for site traffic.
 */
final class Cron {

	/**
	 * Fired every minute; other classes also hang their housekeeping on it.
	 */
	public const EVENT = 'wecoza_sidecar_process_notifications';

	public const SCHEDULE = 'every_minute';

	/**
	 * WeCoza's own hourly event, which would run the PHP pipeline alongside ours.
	 */
	public const WECOZA_EVENT = 'wecoza_email_notifications_process';

	/**
	 * WeCoza's cursor: the last class_change_logs.log_id it has handled.
	 */
	public const WECOZA_CURSOR_OPTION = 'wecoza_last_notified_log_id';

	/**
	 * A cursor import that has not reached the sidecar yet; retried every minute.
	 */
	public const PENDING_CURSOR_OPTION = 'wecoza_sidecar_cursor_import';

	/**
	 * Seconds. A pass may take up to 90 s on the sidecar and carries on if we
	 * stop listening, so WP-Cron does not wait for it; the request only needs
	 * to arrive.
	 */
	private const PROCESS_TIMEOUT = 10;

	public function __construct( private Client $client ) {
	}

	public function register(): void {
		\add_filter( 'cron_schedules', array( $this, 'add_schedule' ) );
		\add_action( self::EVENT, array( $this, 'process' ) );
	}

	/**
	 * Keeps an `every_minute` schedule another plugin already registered.
	 *
	 * @param array $schedules Known recurrences.
	 */
	public function add_schedule( $schedules ): array {
		$schedules = is_array( $schedules ) ? $schedules : array();
		if ( ! isset( $schedules[ self::SCHEDULE ] ) ) {
			$schedules[ self::SCHEDULE ] = array(
				'interval' => MINUTE_IN_SECONDS,
				'display'  => \__( 'Every minute', 'wecoza-sidecar' ),
			);
		}
		return $schedules;
	}

	/**
	 * Activation: take over from WeCoza's event and carry its cursor across.
	 */
	public function activate(): void {
		$this->ensure_scheduled();
		// Every variant, whatever args it was scheduled with.
		\wp_unschedule_hook( self::WECOZA_EVENT );

		$cursor = \get_option( self::WECOZA_CURSOR_OPTION, false );
		// 0 or absent means WeCoza never sent anything; importing it would make
		// the sidecar mail about the whole history instead of starting at now.
		if ( is_numeric( $cursor ) && (int) $cursor > 0 ) {
			\update_option( self::PENDING_CURSOR_OPTION, (int) $cursor, false );
			$this->import_pending_cursor();
		}
	}

	public function deactivate(): void {
		\wp_unschedule_hook( self::EVENT );
	}

	/**
	 * Schedules the minute event unless it exists. Also called from upgrades,
	 * which run without the activation hook.
	 */
	public function ensure_scheduled(): void {
		// During activation this file may have been loaded after cron_schedules
		// was last read; make sure the recurrence is known before using it.
		if ( false === \has_filter( 'cron_schedules', array( $this, 'add_schedule' ) ) ) {
			\add_filter( 'cron_schedules', array( $this, 'add_schedule' ) );
		}
		if ( false === \wp_next_scheduled( self::EVENT ) ) {
			\wp_schedule_event( time(), self::SCHEDULE, self::EVENT );
		}
	}

	/**
	 * The event's callback.
	 */
	public function process(): void {
		if ( ! $this->client->config()->is_configured() ) {
			return;
		}
		$this->import_pending_cursor();
		$answer = $this->client->post( '/v1/notifications/process', array(), array( 'timeout' => self::PROCESS_TIMEOUT ) );
		if ( \is_wp_error( $answer ) ) {
			error_log( sprintf( 'WeCoza Sidecar: notification processing request failed [%s]: %s', $answer->get_error_code(), $answer->get_error_message() ) );
		}
	}

	/**
	 * Sends a waiting cursor import, keeping it for the next minute when the sidecar is away.
	 */
	private function import_pending_cursor(): void {
		$cursor = \get_option( self::PENDING_CURSOR_OPTION, false );
		if ( ! is_numeric( $cursor ) ) {
			return;
		}
		$answer = $this->client->put( '/v1/notifications/cursor', array( 'log_id' => (int) $cursor ) );
		if ( \is_wp_error( $answer ) ) {
			$data = $answer->get_error_data();
			// A refused value (400) or a sidecar without the route (404) will not
			// change by retrying; anything else (down, 401 until the token is
			// fixed, 429, 5xx) may.
			$permanent = is_array( $data ) && in_array( $data['status'] ?? 0, array( 400, 404 ), true );
			error_log( sprintf( 'WeCoza Sidecar: cursor import %s [%s]: %s', $permanent ? 'dropped' : 'will be retried', $answer->get_error_code(), $answer->get_error_message() ) );
			if ( ! $permanent ) {
				return;
			}
		}
		\delete_option( self::PENDING_CURSOR_OPTION );
	}
}
