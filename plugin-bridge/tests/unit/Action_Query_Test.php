<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use PHPUnit\Framework\TestCase;
use WeCoza\Sidecar\Action_Query;
use WP_Error;

final class Action_Query_Test extends TestCase {

	public function test_an_empty_query_sends_an_empty_body_so_the_sidecar_applies_the_defaults(): void {
		$this->assertSame( array(), Action_Query::to_body( array() ) );
	}

	public function test_a_status_may_be_one_name_a_comma_list_or_an_array_and_is_sent_as_a_list(): void {
		$this->assertSame( array( 'pending' ), Action_Query::to_body( array( 'status' => 'pending' ) )['status'] );
		$this->assertSame( array( 'pending', 'failed' ), Action_Query::to_body( array( 'status' => 'pending, failed' ) )['status'] );
		$this->assertSame( array( 'complete' ), Action_Query::to_body( array( 'status' => array( 'complete', '' ) ) )['status'] );
		$this->assertArrayNotHasKey( 'status', Action_Query::to_body( array( 'status' => '' ) ) );
	}

	public function test_action_scheduler_fallbacks_are_applied_before_the_strict_sidecar_sees_them(): void {
		$body = Action_Query::to_body(
			array(
				'orderby'      => 'priority',
				'order'        => 'sideways',
				'date_compare' => 'LIKE',
				'per_page'     => -7,
				'offset'       => -3,
			)
		);

		$this->assertSame( array( 'date_compare' => '=', 'per_page' => -1, 'offset' => 0, 'orderby' => 'date', 'order' => 'DESC' ), $body );
	}

	public function test_per_page_is_capped_at_the_sidecar_limit(): void {
		$this->assertSame( Action_Query::LIST_CAP, Action_Query::to_body( array( 'per_page' => 50000 ) )['per_page'] );
	}

	public function test_a_claim_id_is_sent_as_text_and_booleans_stay_booleans(): void {
		$this->assertSame( '12', Action_Query::to_body( array( 'claimed' => 12 ) )['claimed'] );
		$this->assertFalse( Action_Query::to_body( array( 'claimed' => false ) )['claimed'] );
		$this->assertArrayNotHasKey( 'claimed', Action_Query::to_body( array( 'claimed' => null ) ) );
	}

	public function test_empty_hook_and_group_mean_any_and_are_left_out(): void {
		$this->assertSame( array( 'group' => 'g' ), Action_Query::to_body( array( 'hook' => '', 'group' => 'g' ) ) );
	}

	public function test_query_strings_are_accepted_like_wp_parse_args_does(): void {
		$this->assertSame( array( 'hook' => 'h', 'per_page' => 2 ), Action_Query::to_body( 'hook=h&per_page=2' ) );
	}

	public function test_args_are_kept_as_given_and_null_args_mean_any(): void {
		$this->assertSame( array(), Action_Query::to_body( array( 'args' => array() ) )['args'] );
		$this->assertArrayNotHasKey( 'args', Action_Query::to_body( array( 'args' => null ) ) );
	}

	public function test_an_unreadable_date_is_an_error(): void {
		$result = Action_Query::to_body( array( 'date' => 'the day after never' ) );

		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertSame( 'wecoza_sidecar_bad_timestamp', $result->get_error_code() );
	}
}
