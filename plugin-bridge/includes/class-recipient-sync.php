<?php
/**
 * Copies WeCoza's notification recipients to the sidecar.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * WeCoza keeps recipients in its own options; the sidecar sends the e-mails,
 * so it needs them. Whenever one of those options changes, the whole set is
 * sent once at the end of the request (WeCoza's settings page saves several
 * options in one go) with PUT /v1/notifications/settings.
 */
final class Recipient_Sync {

	public const LEGACY_INSERT_OPTION = 'wecoza_notification_class_created';
	public const LEGACY_UPDATE_OPTION = 'wecoza_notification_class_updated';
	public const MAP_OPTION           = 'wecoza_notification_recipients';

	/**
	 * Set while the sidecar has not received the latest recipients; retried every minute.
	 */
	public const PENDING_OPTION = 'wecoza_sidecar_recipients_pending';

	/**
	 * Sidecar operation => [key in WeCoza's map, WeCoza's legacy single-address option].
	 */
	private const OPERATIONS = array(
		'INSERT' => array( 'CLASS_INSERT', self::LEGACY_INSERT_OPTION ),
		'UPDATE' => array( 'CLASS_UPDATE', self::LEGACY_UPDATE_OPTION ),
	);

	private bool $dirty = false;

	public function __construct( private Client $client ) {
	}

	public function register(): void {
		foreach ( array( self::LEGACY_INSERT_OPTION, self::LEGACY_UPDATE_OPTION, self::MAP_OPTION ) as $option ) {
			\add_action( "add_option_{$option}", array( $this, 'mark_dirty' ) );
			\add_action( "update_option_{$option}", array( $this, 'mark_dirty' ) );
			\add_action( "delete_option_{$option}", array( $this, 'mark_dirty' ) );
		}
		\add_action( 'shutdown', array( $this, 'flush' ) );
		\add_action( Cron::EVENT, array( $this, 'retry_pending' ) );
	}

	public function mark_dirty(): void {
		$this->dirty = true;
	}

	/**
	 * Sends the recipients if any watched option changed during this request.
	 */
	public function flush(): void {
		if ( $this->dirty ) {
			$this->dirty = false;
			$this->sync();
		}
	}

	public function retry_pending(): void {
		if ( $this->client->config()->is_configured() && false !== \get_option( self::PENDING_OPTION, false ) ) {
			$this->sync();
		}
	}

	/**
	 * Pushes the current recipients to the sidecar, or marks them pending.
	 */
	public function sync(): void {
		$recipients = self::collect();
		// A site where none of WeCoza's options exist has nothing to say; sending
		// empty lists would wipe recipients seeded on the sidecar's side.
		if ( null === $recipients ) {
			\delete_option( self::PENDING_OPTION );
			return;
		}
		// Kept for later rather than logged: the admin notice already says the bridge is unconfigured.
		if ( ! $this->client->config()->is_configured() ) {
			\update_option( self::PENDING_OPTION, time(), false );
			return;
		}
		$answer = $this->client->put( '/v1/notifications/settings', array( 'recipients' => $recipients ) );
		if ( \is_wp_error( $answer ) ) {
			\update_option( self::PENDING_OPTION, time(), false );
			error_log( sprintf( 'WeCoza Sidecar: recipient sync will be retried [%s]: %s', $answer->get_error_code(), $answer->get_error_message() ) );
			return;
		}
		\delete_option( self::PENDING_OPTION );
	}

	/**
	 * Recipients per operation, WeCoza's rule: an entry in the map (even an
	 * empty list) wins over the legacy single-address option.
	 *
	 * @return array<string, string[]>|null Null when WeCoza has no recipient options at all.
	 */
	public static function collect(): ?array {
		$map       = \get_option( self::MAP_OPTION, false );
		$map       = is_array( $map ) ? $map : null;
		$found_any = null !== $map;
		$result    = array();

		foreach ( self::OPERATIONS as $operation => [ $map_key, $legacy_option ] ) {
			if ( null !== $map && array_key_exists( $map_key, $map ) ) {
				$result[ $operation ] = self::valid_addresses( $map[ $map_key ] );
				continue;
			}
			$legacy = \get_option( $legacy_option, false );
			if ( false !== $legacy ) {
				$found_any = true;
			}
			$result[ $operation ] = self::valid_addresses( $legacy );
		}
		return $found_any ? $result : null;
	}

	/**
	 * @param mixed $value A list, a comma-separated text, or a single address.
	 * @return string[]
	 */
	private static function valid_addresses( $value ): array {
		$addresses = array();
		foreach ( Config::to_list( is_string( $value ) ? str_replace( ';', ',', $value ) : $value ) as $candidate ) {
			if ( \is_email( $candidate ) ) {
				$addresses[] = $candidate;
			}
		}
		return array_values( array_unique( $addresses ) );
	}
}
