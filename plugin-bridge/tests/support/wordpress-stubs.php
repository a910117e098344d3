<?php
/**
 * Just enough of WordPress for the client, API and signature units.
 *
 * Each stub keeps the WordPress contract the units rely on; hooks and
 * doing-it-wrong calls are recorded so tests can assert on them.
 *
 * @package WeCoza\Sidecar\Tests
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'MINUTE_IN_SECONDS', 60 );
define( 'OBJECT', 'OBJECT' );
define( 'ARRAY_A', 'ARRAY_A' );
define( 'WECOZA_SIDECAR_VERSION', 'test' );

/**
 * Calls recorded by the stubs: 'actions' (do_action), 'doing_it_wrong'.
 */
final class WP_Stub_Log {
	/** @var array<int, array> */
	public static array $actions = array();
	/** @var array<int, array> */
	public static array $doing_it_wrong = array();

	public static function reset(): void {
		self::$actions        = array();
		self::$doing_it_wrong = array();
	}
}

class WP_Error {
	private string $code;
	private string $message;
	/** @var mixed */
	private $data;

	public function __construct( $code = '', $message = '', $data = '' ) {
		$this->code    = (string) $code;
		$this->message = (string) $message;
		$this->data    = $data;
	}

	public function get_error_code() {
		return $this->code;
	}

	public function get_error_message() {
		return $this->message;
	}

	public function get_error_data() {
		return $this->data;
	}
}

function is_wp_error( $thing ): bool {
	return $thing instanceof WP_Error;
}

function wp_json_encode( $data, $options = 0, $depth = 512 ) {
	return json_encode( $data, $options, $depth );
}

function wp_remote_retrieve_response_code( $response ) {
	return is_array( $response ) ? ( $response['response']['code'] ?? '' ) : '';
}

function wp_remote_retrieve_body( $response ) {
	return is_array( $response ) ? ( $response['body'] ?? '' ) : '';
}

function wp_remote_retrieve_header( $response, $header ) {
	if ( ! is_array( $response ) ) {
		return '';
	}
	foreach ( $response['headers'] ?? array() as $name => $value ) {
		if ( strtolower( $name ) === strtolower( $header ) ) {
			return $value;
		}
	}
	return '';
}

function add_action( ...$args ): bool {
	return true;
}

function add_filter( ...$args ): bool {
	return true;
}

function do_action( $hook, ...$args ): void {
	WP_Stub_Log::$actions[] = array( $hook, $args );
}

function apply_filters( $hook, $value, ...$args ) {
	return $value;
}

function _doing_it_wrong( $function, $message, $version ): void {
	WP_Stub_Log::$doing_it_wrong[] = array( $function, $message, $version );
}

function __( $text, $domain = 'default' ) {
	return $text;
}

function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES );
}

function esc_html__( $text, $domain = 'default' ) {
	return esc_html( $text );
}
