<?php
/**
 * Shared set-up: a configured client over a fake transport, and a captured error log.
 *
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use PHPUnit\Framework\TestCase;
use WeCoza\Sidecar\Client;
use WeCoza\Sidecar\Config;
use WP_Stub_Log;

abstract class Sidecar_Test_Case extends TestCase {

	protected Fake_Transport $transport;

	/**
	 * Seconds the client asked to sleep, in order.
	 *
	 * @var int[]
	 */
	protected array $slept = array();

	private string $log_file;
	private string $previous_log;

	protected function setUp(): void {
		parent::setUp();
		WP_Stub_Log::reset();
		Client::flush_cache();
		$this->transport    = new Fake_Transport();
		$this->slept        = array();
		$this->log_file     = (string) tempnam( sys_get_temp_dir(), 'wecoza-sidecar-log' );
		$this->previous_log = (string) ini_get( 'error_log' );
		ini_set( 'error_log', $this->log_file );
	}

	protected function tearDown(): void {
		ini_set( 'error_log', $this->previous_log );
		@unlink( $this->log_file );
		parent::tearDown();
	}

	/**
	 * @param array<string, mixed> $options   Option name => value.
	 * @param array<string, mixed> $constants Constant name => value.
	 */
	protected static function config( array $options = array(), array $constants = array() ): Config {
		return new Config(
			static fn( string $name ) => $options[ $name ] ?? false,
			static fn( string $name ) => $constants[ $name ] ?? null
		);
	}

	protected function configured_client( array $options = array() ): Client {
		$options += array(
			'wecoza_sidecar_url'   => 'http://sidecar.test:8787/',
			'wecoza_sidecar_token' => 'tok-123',
		);
		return new Client(
			self::config( $options ),
			$this->transport,
			function ( int $seconds ): void {
				$this->slept[] = $seconds;
			}
		);
	}

	protected function error_log_text(): string {
		return (string) file_get_contents( $this->log_file );
	}
}
