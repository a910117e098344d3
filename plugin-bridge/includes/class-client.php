<?php
/**
 * HTTP client for the sidecar's REST API.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Talks JSON to the sidecar over wp_remote_request(). Never throws: every
 * failure, including "not configured" and "connection refused", comes back as
 * a WP_Error whose code starts with `wecoza_sidecar_`, so a sidecar outage
 * cannot turn into a fatal on a page that merely schedules something.
 */
final class Client {

	/**
	 * Seconds. WordPress pages wait on these calls, so they are short; the
	 * sidecar answers scheduling calls in milliseconds when healthy.
	 */
	public const DEFAULT_TIMEOUT = 5;

	/**
	 * Longest Retry-After (seconds) we are willing to sleep through inside a
	 * page request; a longer one is reported as an error instead.
	 */
	public const MAX_RETRY_AFTER = 3;

	/**
	 * Read-only routes whose answers may be reused for the rest of the PHP
	 * request. Plugins call as_has_scheduled_action()/as_next_scheduled_action()
	 * on every page load, often several times with the same arguments.
	 */
	private const CACHEABLE_PATHS = array( '/v1/actions/has', '/v1/actions/next' );

	/**
	 * Routes that read without changing anything, so they keep the cache.
	 */
	private const READ_ONLY_PATHS = array( '/v1/actions/has', '/v1/actions/next', '/v1/actions/query' );

	/**
	 * Static so every Client in the request shares one view; any write flushes it.
	 *
	 * @var array<string, array>
	 */
	private static array $answers = array();

	private Config $config;

	/**
	 * @var callable(string, array): (array|WP_Error)
	 */
	private $transport;

	/**
	 * @var callable(int): void
	 */
	private $sleep;

	/**
	 * @param Config        $config    Settings.
	 * @param callable|null $transport Same contract as wp_remote_request(); injectable for tests.
	 * @param callable|null $sleep     Receives seconds; injectable so tests do not wait.
	 */
	public function __construct( Config $config, ?callable $transport = null, ?callable $sleep = null ) {
		$this->config    = $config;
		$this->transport = $transport ?? 'wp_remote_request';
		$this->sleep     = $sleep ?? static function ( int $seconds ): void {
			sleep( $seconds );
		};
	}

	public function register(): void {
		\add_action( 'wecoza_sidecar_flush_cache', array( self::class, 'flush_cache' ) );
	}

	/**
	 * Forgets cached has/next answers.
	 */
	public static function flush_cache(): void {
		self::$answers = array();
	}

	public function config(): Config {
		return $this->config;
	}

	/**
	 * @param array|object|null $body    JSON body; null sends none.
	 * @param array             $options `timeout` in seconds, `auth` false for the open routes.
	 * @return array|WP_Error Decoded JSON object.
	 */
	public function post( string $path, $body = null, array $options = array() ) {
		return $this->request( 'POST', $path, $body ?? array(), $options );
	}

	/**
	 * @param array|object $body JSON body.
	 * @return array|WP_Error
	 */
	public function put( string $path, $body, array $options = array() ) {
		return $this->request( 'PUT', $path, $body, $options );
	}

	/**
	 * @param array<string, scalar> $query Query string parameters.
	 * @return array|WP_Error
	 */
	public function get( string $path, array $query = array(), array $options = array() ) {
		if ( array() !== $query ) {
			$path .= '?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
		}
		return $this->request( 'GET', $path, null, $options );
	}

	/**
	 * Sends one request, retrying once when the sidecar answers 429 with a short Retry-After.
	 *
	 * @param array|object|null $body JSON body; null sends none.
	 * @return array|WP_Error Decoded JSON object.
	 */
	public function request( string $method, string $path, $body = null, array $options = array() ) {
		$base = $this->config->url();
		if ( '' === $base ) {
			return new WP_Error( 'wecoza_sidecar_unconfigured', 'The sidecar URL is not set.' );
		}
		$needs_auth = $options['auth'] ?? true;
		if ( $needs_auth && '' === $this->config->token() ) {
			return new WP_Error( 'wecoza_sidecar_unconfigured', 'The sidecar API token is not set.' );
		}

		$encoded = null === $body ? null : self::encode_body( $body );
		if ( false === $encoded ) {
			return new WP_Error( 'wecoza_sidecar_unencodable', 'The request body cannot be encoded as JSON.' );
		}

		$route     = strtok( $path, '?' );
		$cache_key = null;
		if ( 'POST' === $method && in_array( $route, self::CACHEABLE_PATHS, true ) ) {
			$cache_key = $base . ' ' . $path . ' ' . $encoded;
			if ( isset( self::$answers[ $cache_key ] ) ) {
				return self::$answers[ $cache_key ];
			}
		} elseif ( 'GET' !== $method && ! in_array( $route, self::READ_ONLY_PATHS, true ) ) {
			// Flushed before sending: even a write that times out may have landed.
			self::flush_cache();
		}

		$args = array(
			'method'      => $method,
			'timeout'     => $options['timeout'] ?? self::DEFAULT_TIMEOUT,
			'redirection' => 0,
			'headers'     => $this->headers( $needs_auth, null !== $encoded ),
		);
		if ( null !== $encoded ) {
			$args['body'] = $encoded;
		}

		$response = ( $this->transport )( $base . $path, $args );
		$status   = self::status_of( $response );
		if ( 429 === $status ) {
			// Without a Retry-After, one second is a polite guess.
			$wait = self::retry_after_seconds( $response ) ?? 1;
			if ( $wait <= self::MAX_RETRY_AFTER ) {
				( $this->sleep )( $wait );
				$response = ( $this->transport )( $base . $path, $args );
			}
		}

		$result = $this->interpret( $response );
		if ( \is_wp_error( $result ) ) {
			/**
			 * Fires when a call to the sidecar fails, for notices and monitoring.
			 *
			 * @param WP_Error $error  The failure.
			 * @param string   $method HTTP method.
			 * @param string   $route  Path without the query string.
			 */
			\do_action( 'wecoza_sidecar_request_failed', $result, $method, $route );
			return $result;
		}
		if ( null !== $cache_key ) {
			self::$answers[ $cache_key ] = $result;
		}
		return $result;
	}

	/**
	 * JSON for a body. A PHP array with no entries is sent as `{}` at the top
	 * level (the sidecar wants an object) but nested ones stay `[]`, which is
	 * how `args` of an argless action must travel.
	 *
	 * @param array|object $body Body.
	 * @return string|false
	 */
	public static function encode_body( $body ) {
		if ( array() === $body ) {
			return '{}';
		}
		return \wp_json_encode( $body );
	}

	/**
	 * Seconds to wait from a Retry-After header (delta seconds or HTTP date), null when absent.
	 *
	 * @param array|WP_Error $response Raw response.
	 */
	public static function retry_after_seconds( $response ): ?int {
		if ( \is_wp_error( $response ) ) {
			return null;
		}
		$header = trim( (string) \wp_remote_retrieve_header( $response, 'retry-after' ) );
		if ( '' === $header ) {
			return null;
		}
		if ( ctype_digit( $header ) ) {
			return (int) $header;
		}
		$when = strtotime( $header );
		return false === $when ? null : max( 0, $when - time() );
	}

	/**
	 * @param bool $with_auth Send the bearer token.
	 * @param bool $with_body Declare a JSON body.
	 * @return array<string, string>
	 */
	private function headers( bool $with_auth, bool $with_body ): array {
		$headers = array(
			'Accept'     => 'application/json',
			'User-Agent' => 'WeCoza-Sidecar-Bridge/' . ( \defined( 'WECOZA_SIDECAR_VERSION' ) ? WECOZA_SIDECAR_VERSION : 'dev' ),
		);
		if ( $with_body ) {
			$headers['Content-Type'] = 'application/json';
		}
		if ( $with_auth ) {
			$headers['Authorization'] = 'Bearer ' . $this->config->token();
		}
		return $headers;
	}

	/**
	 * @param array|WP_Error $response Raw response.
	 */
	private static function status_of( $response ): int {
		return \is_wp_error( $response ) ? 0 : (int) \wp_remote_retrieve_response_code( $response );
	}

	/**
	 * Turns a raw response into the decoded JSON object or a prefixed WP_Error.
	 *
	 * @param array|WP_Error $response Raw response.
	 * @return array|WP_Error
	 */
	private function interpret( $response ) {
		if ( \is_wp_error( $response ) ) {
			return new WP_Error(
				'wecoza_sidecar_unreachable',
				sprintf( 'The sidecar did not answer: %s', $response->get_error_message() ),
				array( 'status' => 0 )
			);
		}

		$status = self::status_of( $response );
		$raw    = (string) \wp_remote_retrieve_body( $response );
		// Big integers (action ids, args) stay exact as strings rather than becoming floats.
		$json = '' === $raw ? null : json_decode( $raw, true, 512, JSON_BIGINT_AS_STRING );

		if ( $status >= 200 && $status < 300 ) {
			if ( ! is_array( $json ) ) {
				return new WP_Error(
					'wecoza_sidecar_bad_response',
					sprintf( 'The sidecar answered %d without a JSON object.', $status ),
					array( 'status' => $status )
				);
			}
			return $json;
		}

		$error   = is_array( $json ) && isset( $json['error'] ) && is_array( $json['error'] ) ? $json['error'] : array();
		$code    = isset( $error['code'] ) && is_string( $error['code'] ) ? preg_replace( '/[^a-z0-9_]/', '', strtolower( $error['code'] ) ) : '';
		$message = isset( $error['message'] ) && is_string( $error['message'] ) ? $error['message'] : sprintf( 'The sidecar answered HTTP %d.', $status );
		$data    = array(
			'status'       => $status,
			'sidecar_code' => '' === $code ? null : $code,
		);
		if ( 429 === $status || 503 === $status ) {
			$data['retry_after'] = self::retry_after_seconds( $response );
		}
		return new WP_Error( 'wecoza_sidecar_' . ( '' === $code ? 'http_' . $status : $code ), $message, $data );
	}
}
