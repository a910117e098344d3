<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use PHPUnit\Framework\TestCase;
use WeCoza\Sidecar\Delivery;
use WP_Error;

final class Delivery_Test extends TestCase {

	private const CLAIM = '3f2b8c1e-9d4a-4e6b-8f00-1a2b3c4d5e6f';

	private static function body( array $fields ): string {
		return (string) json_encode( $fields + array( 'action_id' => 7, 'hook' => 'wecoza_test_hook', 'args' => array( 'x' => 1 ), 'group' => '', 'attempt' => 1 ) );
	}

	public function test_a_body_with_a_claim_id_is_remembered_by_action_and_claim(): void {
		$delivery = Delivery::from_json( self::body( array( 'claim_id' => self::CLAIM ) ) );

		$this->assertInstanceOf( Delivery::class, $delivery );
		$this->assertSame( '7_c' . self::CLAIM, $delivery->replay_key() );
		$this->assertSame( self::CLAIM, $delivery->claim_id );
	}

	public function test_two_claims_of_the_same_attempt_have_different_keys(): void {
		$first  = Delivery::from_json( self::body( array( 'claim_id' => self::CLAIM ) ) );
		$second = Delivery::from_json( self::body( array( 'claim_id' => '00000000-0000-4000-8000-000000000001' ) ) );

		$this->assertNotSame( $first->replay_key(), $second->replay_key() );
	}

	public function test_a_claim_id_is_compared_without_regard_to_case(): void {
		$upper = Delivery::from_json( self::body( array( 'claim_id' => strtoupper( self::CLAIM ) ) ) );

		$this->assertSame( '7_c' . self::CLAIM, $upper->replay_key() );
	}

	public function test_without_a_claim_id_the_attempt_keys_the_delivery(): void {
		foreach ( array( self::body( array() ), self::body( array( 'claim_id' => null ) ) ) as $body ) {
			$delivery = Delivery::from_json( $body );

			$this->assertSame( '7_1', $delivery->replay_key() );
			$this->assertNull( $delivery->claim_id );
		}
	}

	public function test_args_keep_their_order_and_keys_for_the_endpoint_to_drop(): void {
		$delivery = Delivery::from_json( self::body( array( 'args' => array( 'b' => 2, 'a' => 1 ) ) ) );

		$this->assertSame( array( 'b' => 2, 'a' => 1 ), $delivery->args );
		$this->assertSame( 'wecoza_test_hook', $delivery->hook );
	}

	public function test_malformed_bodies_are_refused_with_400(): void {
		$bodies = array(
			'not json'                  => 'nope',
			'no hook'                   => (string) json_encode( array( 'action_id' => 1, 'attempt' => 1 ) ),
			'string id'                 => self::body( array( 'action_id' => '7' ) ),
			'float attempt'             => self::body( array( 'attempt' => 1.5 ) ),
			'scalar args'               => self::body( array( 'args' => 'x' ) ),
			'claim id with a slash'     => self::body( array( 'claim_id' => 'a/b' ) ),
			'claim id as a number'      => self::body( array( 'claim_id' => 12 ) ),
			'claim id that is too long' => self::body( array( 'claim_id' => str_repeat( 'a', 65 ) ) ),
			'empty claim id'            => self::body( array( 'claim_id' => '' ) ),
		);
		foreach ( $bodies as $label => $body ) {
			$result = Delivery::from_json( $body );

			$this->assertInstanceOf( WP_Error::class, $result, $label );
			$this->assertSame( 'wecoza_sidecar_bad_request', $result->get_error_code(), $label );
			$this->assertSame( array( 'status' => 400 ), $result->get_error_data(), $label );
		}
	}
}
