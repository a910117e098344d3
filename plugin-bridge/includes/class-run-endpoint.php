<?php
/**
 * The signed REST route through which the sidecar runs PHP hooks.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use ErrorException;
use Throwable;
use WP_Error;
use WP_REST_Request;
use WP_REST_Response;

/**
 * POST /wp-json/wecoza-sidecar/v1/run (or ?rest_route=/wecoza-sidecar/v1/run)
 * with body {action_id, hook, args, group, attempt, claim_id}. The sidecar's
 * runner calls it for every hook it has no built-in handler for; the HTTP
 * status is the outcome: 2xx completes the action, anything else fails it
 * with the message in the body.
 *
 * Nothing runs unless, in this order: the signature and timestamp verify
 * (401), the hook is on the allowlist (403), and this delivery (action_id
 * with claim_id, or with attempt when no claim_id is sent) was not seen in
 * the last ten minutes (409).
 */
final class Run_Endpoint {

	public const ROUTE_NAMESPACE = 'wecoza-sidecar/v1';
	public const ROUTE           = '/run';

	public function __construct( private Config $config, private Replay_Guard $replay ) {
	}

	public function register(): void {
		\add_action( 'rest_api_init', array( $this, 'register_route' ) );
	}

	public function register_route(): void {
		\register_rest_route(
			self::ROUTE_NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				// The caller is authenticated by the HMAC, not by a WordPress
				// user; handle() checks it first so that every refusal carries
				// the same body shape the sidecar reads.
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * URL the sidecar must be given as WP_CALLBACK_URL.
	 */
	public static function url(): string {
		return \rest_url( self::ROUTE_NAMESPACE . self::ROUTE );
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response {
		$body     = $request->get_body();
		$verified = Signature::verify(
			$this->config->callback_secret(),
			$request->get_header( 'x-sidecar-timestamp' ),
			$request->get_header( 'x-sidecar-signature' ),
			$body,
			time()
		);
		if ( \is_wp_error( $verified ) ) {
			return self::error_response( $verified );
		}

		$delivery = Delivery::from_json( $body );
		if ( \is_wp_error( $delivery ) ) {
			return self::error_response( $delivery );
		}
		$hook = $delivery->hook;

		if ( ! $this->config->allows_hook( $hook ) ) {
			return self::error_response(
				new WP_Error( 'wecoza_sidecar_hook_not_allowed', sprintf( 'Hook %s is not on the bridge allowlist.', $hook ), array( 'status' => 403 ) )
			);
		}

		$first = $this->replay->remember( $delivery->replay_key(), time() );
		if ( \is_wp_error( $first ) ) {
			return self::error_response( $first );
		}
		if ( ! $first ) {
			return self::error_response(
				new WP_Error(
					'wecoza_sidecar_replay',
					sprintf( '%s was already delivered.', $delivery->describe() ),
					array( 'status' => 409 )
				)
			);
		}

		if ( ! \has_action( $hook ) ) {
			return self::error_response(
				new WP_Error( 'wecoza_sidecar_no_callbacks', sprintf( 'no callbacks are registered for hook %s', $hook ), array( 'status' => 500 ) )
			);
		}

		$failure = self::run_hook( $hook, $delivery->args );
		if ( null !== $failure ) {
			return self::error_response(
				new WP_Error( 'wecoza_sidecar_hook_failed', $failure->getMessage(), array( 'status' => 500 ) )
			);
		}
		return new WP_REST_Response(
			array(
				'status'    => 'complete',
				'action_id' => $delivery->action_id,
				'attempt'   => $delivery->attempt,
				'claim_id'  => $delivery->claim_id,
			),
			200
		);
	}

	/**
	 * Runs the callbacks the way Action Scheduler does: arguments positionally,
	 * fatal-ish user errors turned into failures instead of half-finished pages.
	 *
	 * @param array $args Decoded args; keys are dropped.
	 * @return Throwable|null What stopped the hook, null when it completed.
	 */
	private static function run_hook( string $hook, array $args ): ?Throwable {
		// The sidecar may give up waiting (its execution timeout); the hook
		// should still finish rather than stop midway through its side effects.
		ignore_user_abort( true );
		set_error_handler(
			static function ( int $severity, string $message, string $file, int $line ): bool {
				throw new ErrorException( $message, 0, $severity, $file, $line );
			},
			E_USER_ERROR | E_RECOVERABLE_ERROR
		);
		// Callbacks that echo would corrupt the JSON answer.
		ob_start();
		try {
			\do_action_ref_array( $hook, array_values( $args ) );
			return null;
		} catch ( Throwable $e ) {
			return $e;
		} finally {
			ob_end_clean();
			restore_error_handler();
		}
	}

	/**
	 * The sidecar reads {"error": {"code", "message"}}; WordPress tooling reads
	 * {"code", "message", "data"}. Both are sent so either can explain a failure.
	 */
	private static function error_response( WP_Error $error ): WP_REST_Response {
		$data   = $error->get_error_data();
		$status = is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 500;
		return new WP_REST_Response(
			array(
				'error'   => array(
					'code'    => $error->get_error_code(),
					'message' => $error->get_error_message(),
				),
				'code'    => $error->get_error_code(),
				'message' => $error->get_error_message(),
				'data'    => array( 'status' => $status ),
			),
			$status
		);
	}
}
