<?php
/**
 * Admin notices about the sidecar's configuration and health.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Tells administrators when the bridge cannot work: not configured, or the
 * sidecar not answering. The health probe is cached so that admin pages do
 * not each wait on the network.
 */
final class Notices {

	/**
	 * Cached /readyz outcome. 60 s: a stale "down" clears within a minute,
	 * and a dead sidecar costs at most one probe timeout per minute.
	 */
	public const HEALTH_TRANSIENT = 'wecoza_sidecar_health';
	public const HEALTH_TTL       = 60;

	/**
	 * Latest failed call from any request, so a notice can say what broke.
	 */
	public const FAILURE_TRANSIENT = 'wecoza_sidecar_last_failure';
	public const FAILURE_TTL       = 300;

	/**
	 * Seconds; the probe runs inside an admin page load.
	 */
	private const PROBE_TIMEOUT = 2;

	public function __construct( private Config $config, private Client $client ) {
	}

	public function register(): void {
		\add_action( 'admin_notices', array( $this, 'render' ) );
		\add_action( 'wecoza_sidecar_request_failed', array( $this, 'remember_failure' ), 10, 3 );
	}

	/**
	 * Keeps the latest "did not answer" failure. Written at most once a
	 * minute: with the sidecar down every page may fail several calls.
	 */
	public function remember_failure( WP_Error $error, string $method = '', string $route = '' ): void {
		$data   = $error->get_error_data();
		$status = is_array( $data ) ? (int) ( $data['status'] ?? 0 ) : 0;
		if ( 'wecoza_sidecar_unconfigured' === $error->get_error_code() || ( $status > 0 && $status < 500 ) ) {
			return;
		}
		$previous = \get_transient( self::FAILURE_TRANSIENT );
		if ( is_array( $previous ) && time() - (int) ( $previous['at'] ?? 0 ) < MINUTE_IN_SECONDS ) {
			return;
		}
		\set_transient(
			self::FAILURE_TRANSIENT,
			array(
				'at'      => time(),
				'code'    => $error->get_error_code(),
				'message' => $error->get_error_message(),
				'route'   => $method . ' ' . $route,
			),
			self::FAILURE_TTL
		);
	}

	/**
	 * @return array{ok: bool, status: int, message: string, checked_at: int}
	 */
	public function health( bool $fresh = false ): array {
		$cached = $fresh ? false : \get_transient( self::HEALTH_TRANSIENT );
		if ( is_array( $cached ) && isset( $cached['ok'] ) ) {
			return $cached;
		}
		$answer = $this->client->get( '/readyz', array(), array( 'auth' => false, 'timeout' => self::PROBE_TIMEOUT ) );
		$data   = \is_wp_error( $answer ) ? $answer->get_error_data() : null;
		$health = array(
			'ok'         => ! \is_wp_error( $answer ),
			'status'     => \is_wp_error( $answer ) ? (int) ( is_array( $data ) ? ( $data['status'] ?? 0 ) : 0 ) : 200,
			'message'    => \is_wp_error( $answer ) ? $answer->get_error_message() : '',
			'checked_at' => time(),
		);
		\set_transient( self::HEALTH_TRANSIENT, $health, self::HEALTH_TTL );
		return $health;
	}

	public function render(): void {
		if ( ! \current_user_can( 'manage_options' ) ) {
			return;
		}
		$settings_link = sprintf(
			'<a href="%s">%s</a>',
			\esc_url( \admin_url( 'options-general.php?page=' . Settings::PAGE ) ),
			\esc_html__( 'Settings → WeCoza Sidecar', 'wecoza-sidecar' )
		);

		if ( ! $this->config->is_configured() ) {
			printf(
				'<div class="notice notice-warning"><p>%s %s</p></div>',
				\esc_html__( 'WeCoza Sidecar is not configured: scheduled work and notifications are not reaching the sidecar. Set the sidecar URL and API token in', 'wecoza-sidecar' ),
				$settings_link // Built from escaped parts above.
			);
			return;
		}

		$health = $this->health();
		if ( $health['ok'] ) {
			return;
		}
		$failure = \get_transient( self::FAILURE_TRANSIENT );
		printf(
			'<div class="notice notice-error"><p>%s</p><p><code>%s</code></p>%s<p>%s</p></div>',
			\esc_html(
				sprintf(
					/* translators: %s: sidecar base URL. */
					\__( 'The WeCoza Sidecar at %s did not answer its readiness check. Scheduling calls return Action Scheduler\'s error values and notifications are delayed until it is back.', 'wecoza-sidecar' ),
					$this->config->url()
				)
			),
			\esc_html( $health['message'] ),
			is_array( $failure )
				? '<p>' . \esc_html(
					sprintf(
						/* translators: 1: HTTP method and route, 2: error code, 3: minutes ago. */
						\__( 'Last failed call: %1$s (%2$s), %3$d min ago.', 'wecoza-sidecar' ),
						(string) ( $failure['route'] ?? '' ),
						(string) ( $failure['code'] ?? '' ),
						(int) floor( ( time() - (int) ( $failure['at'] ?? time() ) ) / 60 )
					)
				) . '</p>'
				: '',
			$settings_link // Built from escaped parts above.
		);
	}
}
