<?php
/**
 * Where the bridge's settings come from: wp-config.php constants first, options second.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Read-only view of the settings. Every other class asks this one, so the
 * "constant wins over option" rule lives in a single place.
 */
final class Config {

	/**
	 * Setting key => [wp-config.php constant, option name].
	 */
	public const SETTINGS = array(
		'url'             => array( 'WECOZA_SIDECAR_URL', 'wecoza_sidecar_url' ),
		'token'           => array( 'WECOZA_SIDECAR_TOKEN', 'wecoza_sidecar_token' ),
		'callback_secret' => array( 'WECOZA_SIDECAR_CALLBACK_SECRET', 'wecoza_sidecar_callback_secret' ),
		'hook_allowlist'  => array( 'WECOZA_SIDECAR_HOOK_ALLOWLIST', 'wecoza_sidecar_hook_allowlist' ),
		'routed_groups'   => array( 'WECOZA_SIDECAR_ROUTED_GROUPS', 'wecoza_sidecar_routed_groups' ),
	);

	public const DEFAULT_HOOK_ALLOWLIST = array( 'wecoza_*' );
	public const DEFAULT_ROUTED_GROUPS  = array( 'wecoza-notifications' );

	/**
	 * In the routed list: every group.
	 */
	public const EVERY_GROUP = '*';

	/**
	 * The sidecar's first action id (its SIDECAR_ACTION_ID_FLOOR default): Action Scheduler's MySQL
	 * AUTO_INCREMENT counts from 1 and never gets here, so an id at or above it is the sidecar's.
	 * The range up to 5 × 10^15 is the sidecar's; above it, below 2^53, is kept for provisional ids.
	 */
	public const DEFAULT_ACTION_ID_FLOOR = 1000000000000000;

	/**
	 * @var callable(string): mixed
	 */
	private $read_option;

	/**
	 * @var callable(string): mixed
	 */
	private $read_constant;

	/**
	 * Readers are injectable so unit tests run without WordPress.
	 *
	 * @param callable|null $read_option   Option name => value, false when absent.
	 * @param callable|null $read_constant Constant name => value, null when undefined.
	 */
	public function __construct( ?callable $read_option = null, ?callable $read_constant = null ) {
		$this->read_option   = $read_option ?? static fn( string $name ) => \get_option( $name, false );
		$this->read_constant = $read_constant ?? static fn( string $name ) => \defined( $name ) ? \constant( $name ) : null;
	}

	public function url(): string {
		return rtrim( trim( (string) $this->raw( 'url' ) ), '/' );
	}

	public function token(): string {
		return trim( (string) $this->raw( 'token' ) );
	}

	public function callback_secret(): string {
		return (string) $this->raw( 'callback_secret' );
	}

	/**
	 * Hook patterns the run endpoint may execute: an exact name, or a prefix ending in `*`.
	 *
	 * @return string[]
	 */
	public function hook_allowlist(): array {
		$value = $this->raw( 'hook_allowlist' );
		return null === $value ? self::DEFAULT_HOOK_ALLOWLIST : self::to_list( $value );
	}

	/**
	 * Action Scheduler groups whose scheduling calls go to the sidecar.
	 *
	 * @return string[]
	 */
	public function routed_groups(): array {
		$value = $this->raw( 'routed_groups' );
		return null === $value ? self::DEFAULT_ROUTED_GROUPS : self::to_list( $value );
	}

	/**
	 * Whether actions of this group live in the sidecar (`*` in the list: every group).
	 *
	 * @param mixed $group Action group.
	 */
	public function routes_group( $group ): bool {
		$routed = $this->routed_groups();
		return in_array( self::EVERY_GROUP, $routed, true ) || in_array( (string) $group, $routed, true );
	}

	/**
	 * Ids at or above this are the sidecar's. Lower it (constant WECOZA_SIDECAR_ACTION_ID_FLOOR)
	 * only together with the sidecar's own floor, and only while Action Scheduler's ids stay below.
	 */
	public function action_id_floor(): int {
		$value = ( $this->read_constant )( 'WECOZA_SIDECAR_ACTION_ID_FLOOR' );
		return is_numeric( $value ) && (int) $value > 0 ? (int) $value : self::DEFAULT_ACTION_ID_FLOOR;
	}

	/**
	 * Whether an action id belongs to the sidecar rather than to Action Scheduler's own store.
	 *
	 * @param mixed $action_id Id as Action Scheduler passes it (int or numeric string).
	 */
	public function is_sidecar_id( $action_id ): bool {
		return is_numeric( $action_id ) && (int) $action_id >= $this->action_id_floor();
	}

	/**
	 * URL and token are both needed before any /v1 call can succeed.
	 */
	public function is_configured(): bool {
		return '' !== $this->url() && '' !== $this->token();
	}

	/**
	 * Whether wp-config.php fixes this setting, so the settings page shows it read-only.
	 */
	public function is_locked( string $key ): bool {
		return null !== ( $this->read_constant )( self::SETTINGS[ $key ][0] );
	}

	/**
	 * Whether a hook name matches the allowlist.
	 */
	public function allows_hook( string $hook ): bool {
		foreach ( $this->hook_allowlist() as $pattern ) {
			if ( str_ends_with( $pattern, '*' ) ) {
				if ( str_starts_with( $hook, substr( $pattern, 0, -1 ) ) ) {
					return true;
				}
			} elseif ( $hook === $pattern ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Splits a comma- or newline-separated text, or cleans an array, into a list of non-empty strings.
	 *
	 * @param mixed $value Stored value.
	 * @return string[]
	 */
	public static function to_list( $value ): array {
		if ( is_string( $value ) ) {
			$value = preg_split( '/[\s,]+/', $value );
		}
		if ( ! is_array( $value ) ) {
			return array();
		}
		$items = array();
		foreach ( $value as $item ) {
			if ( is_scalar( $item ) && '' !== trim( (string) $item ) ) {
				$items[] = trim( (string) $item );
			}
		}
		return array_values( array_unique( $items ) );
	}

	/**
	 * @return mixed Null when neither constant nor option is set.
	 */
	private function raw( string $key ) {
		[ $constant, $option ] = self::SETTINGS[ $key ];
		$value                 = ( $this->read_constant )( $constant );
		if ( null !== $value ) {
			return $value;
		}
		$value = ( $this->read_option )( $option );
		return false === $value ? null : $value;
	}
}
