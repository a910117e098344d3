<?php
/**
 * A stand-in for wp_remote_request() that replays queued answers.
 *
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use WP_Error;

final class Fake_Transport {

	/**
	 * Every call: ['url' => ..., 'args' => ..., 'json' => decoded body or null].
	 *
	 * @var array<int, array>
	 */
	public array $requests = array();

	/**
	 * @var array<int, array|WP_Error>
	 */
	private array $queue = array();

	/**
	 * Queues a JSON answer.
	 *
	 * @param array<string, string> $headers Response headers.
	 */
	public function answer( int $status, $body, array $headers = array() ): self {
		$this->queue[] = array(
			'headers'  => $headers,
			'body'     => is_string( $body ) ? $body : json_encode( $body ),
			'response' => array(
				'code'    => $status,
				'message' => '',
			),
		);
		return $this;
	}

	/**
	 * Queues a transport failure (connection refused, timeout).
	 */
	public function fail( string $message ): self {
		$this->queue[] = new WP_Error( 'http_request_failed', $message );
		return $this;
	}

	/**
	 * @return array|WP_Error
	 */
	public function __invoke( string $url, array $args ) {
		$this->requests[] = array(
			'url'  => $url,
			'args' => $args,
			'json' => isset( $args['body'] ) ? json_decode( $args['body'], true ) : null,
		);
		if ( array() === $this->queue ) {
			return new WP_Error( 'http_request_failed', 'Fake transport: no answer queued.' );
		}
		return array_shift( $this->queue );
	}

	public function last(): array {
		return $this->requests[ count( $this->requests ) - 1 ];
	}
}
