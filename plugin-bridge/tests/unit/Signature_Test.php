<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use PHPUnit\Framework\TestCase;
use WeCoza\Sidecar\Signature;
use WP_Error;

final class Signature_Test extends TestCase {

	private const SECRET = 'test-secret';
	private const NOW    = 1700000000;
	private const BODY   = '{"action_id":7,"hook":"wecoza_test_hook","args":{"x":1},"group":"","attempt":1}';

	/**
	 * Computed outside PHP: printf '%s' '1700000000.<BODY>' | openssl dgst -sha256 -hmac 'test-secret'
	 */
	private const EXPECTED = 'sha256=d92a59c8acc12e698c5fd10cefb27de95f935b303bc734b4e1071c44ffc5d51a';

	public function test_sign_matches_an_hmac_computed_by_openssl(): void {
		$this->assertSame( self::EXPECTED, Signature::sign( self::SECRET, (string) self::NOW, self::BODY ) );
	}

	public function test_a_correct_signature_within_the_window_verifies(): void {
		$this->assertTrue( Signature::verify( self::SECRET, (string) self::NOW, self::EXPECTED, self::BODY, self::NOW ) );
	}

	public function test_upper_case_hex_and_surrounding_spaces_are_accepted(): void {
		$header = ' ' . strtoupper( self::EXPECTED ) . ' ';

		$this->assertTrue( Signature::verify( self::SECRET, (string) self::NOW, $header, self::BODY, self::NOW ) );
	}

	public function test_timestamps_exactly_at_the_window_edges_verify(): void {
		foreach ( array( -300, 300 ) as $skew ) {
			$timestamp = (string) ( self::NOW + $skew );
			$signature = Signature::sign( self::SECRET, $timestamp, self::BODY );

			$this->assertTrue( Signature::verify( self::SECRET, $timestamp, $signature, self::BODY, self::NOW ), "skew $skew" );
		}
	}

	public function test_timestamps_outside_the_window_are_refused_even_when_signed(): void {
		foreach ( array( -301, 301 ) as $skew ) {
			$timestamp = (string) ( self::NOW + $skew );
			$signature = Signature::sign( self::SECRET, $timestamp, self::BODY );

			$result = Signature::verify( self::SECRET, $timestamp, $signature, self::BODY, self::NOW );

			$this->assertRefused( 'wecoza_sidecar_stale_timestamp', $result );
		}
	}

	public function test_a_changed_body_is_refused(): void {
		$tampered = str_replace( '"x":1', '"x":2', self::BODY );

		$this->assertRefused( 'wecoza_sidecar_bad_signature', Signature::verify( self::SECRET, (string) self::NOW, self::EXPECTED, $tampered, self::NOW ) );
	}

	public function test_a_fresh_timestamp_on_an_old_signature_is_refused(): void {
		$result = Signature::verify( self::SECRET, (string) ( self::NOW + 1 ), self::EXPECTED, self::BODY, self::NOW );

		$this->assertRefused( 'wecoza_sidecar_bad_signature', $result );
	}

	public function test_a_signature_made_with_another_secret_is_refused(): void {
		$forged = Signature::sign( 'guessed', (string) self::NOW, self::BODY );

		$this->assertRefused( 'wecoza_sidecar_bad_signature', Signature::verify( self::SECRET, (string) self::NOW, $forged, self::BODY, self::NOW ) );
	}

	public function test_a_signature_without_its_algorithm_prefix_is_refused(): void {
		$bare = substr( self::EXPECTED, strlen( 'sha256=' ) );

		$this->assertRefused( 'wecoza_sidecar_bad_signature', Signature::verify( self::SECRET, (string) self::NOW, $bare, self::BODY, self::NOW ) );
	}

	public function test_missing_headers_are_refused(): void {
		$this->assertRefused( 'wecoza_sidecar_bad_timestamp', Signature::verify( self::SECRET, null, self::EXPECTED, self::BODY, self::NOW ) );
		$this->assertRefused( 'wecoza_sidecar_bad_signature', Signature::verify( self::SECRET, (string) self::NOW, null, self::BODY, self::NOW ) );
	}

	public function test_a_timestamp_that_is_not_unix_seconds_is_refused(): void {
		foreach ( array( '1700000000.5', '-1700000000', '2023-11-14T22:13:20Z', 'abc' ) as $timestamp ) {
			$this->assertRefused( 'wecoza_sidecar_bad_timestamp', Signature::verify( self::SECRET, $timestamp, self::EXPECTED, self::BODY, self::NOW ) );
		}
	}

	public function test_nothing_verifies_while_no_secret_is_configured(): void {
		$unkeyed = Signature::sign( '', (string) self::NOW, self::BODY );

		$this->assertRefused( 'wecoza_sidecar_no_secret', Signature::verify( '', (string) self::NOW, $unkeyed, self::BODY, self::NOW ) );
	}

	/**
	 * @param mixed $result Verification outcome.
	 */
	private function assertRefused( string $code, $result ): void {
		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertSame( $code, $result->get_error_code() );
		$this->assertSame( 401, $result->get_error_data()['status'] );
	}
}
