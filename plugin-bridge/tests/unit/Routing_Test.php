<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use WeCoza\Sidecar\Action_Api;
use WeCoza\Sidecar\Client;
use WeCoza\Sidecar\Routing;

final class Routing_Test extends Sidecar_Test_Case {

	private function routing( array $options = array(), ?callable $store_in_charge = null ): Routing {
		$options += array(
			'wecoza_sidecar_url'   => 'http://sidecar.test',
			'wecoza_sidecar_token' => 'tok',
		);
		$config = self::config( $options );
		return new Routing( $config, new Action_Api( new Client( $config, $this->transport ) ), $store_in_charge );
	}

	public function test_it_stands_aside_while_the_bridges_store_routes_every_call(): void {
		$routing = $this->routing( array(), static fn(): bool => true );

		$this->assertNull( $routing->route_async( null, 'h', array(), 'wecoza-notifications', 10, false ) );
		$this->assertNull( $routing->route_single( null, 1700000000, 'h', array(), 'wecoza-notifications', 10 ) );
		$this->assertSame( array(), $this->transport->requests, 'a call routed here and again by the store would exist twice' );
	}

	public function test_every_group_is_routed_with_a_star(): void {
		$this->transport->answer( 201, array( 'action_id' => 1000000000000009 ) );

		$this->assertSame( 1000000000000009, $this->routing( array( 'wecoza_sidecar_routed_groups' => '*' ) )->route_async( null, 'h', array(), 'woocommerce-anything', 10, false ) );
	}

	public function test_an_earlier_answer_is_passed_through_untouched(): void {
		$this->assertSame( 77, $this->routing()->route_async( 77, 'h', array(), 'wecoza-notifications', 10, false ) );
		$this->assertSame( 'x', $this->routing()->route_single( 'x', 1700000000, 'h', array(), 'wecoza-notifications', 10 ) );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_groups_not_on_the_routed_list_stay_with_action_scheduler(): void {
		$this->assertNull( $this->routing()->route_async( null, 'h', array(), 'other-group', 10, false ) );
		$this->assertNull( $this->routing()->route_cron( null, 1700000000, '* * * * *', 'h', array(), '', 10 ) );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_an_unconfigured_bridge_does_not_swallow_routed_calls(): void {
		$routing = $this->routing( array( 'wecoza_sidecar_token' => false ) );

		$this->assertNull( $routing->route_async( null, 'h', array(), 'wecoza-notifications', 10, false ) );
	}

	public function test_a_routed_call_answers_with_the_sidecar_id(): void {
		$this->transport->answer( 201, array( 'action_id' => 31 ) );

		$this->assertSame( 31, $this->routing()->route_async( null, 'wecoza_enrich_notification', array( 'log_id' => 1 ), 'wecoza-notifications', 10, false ) );
		$this->assertSame( 'wecoza-notifications', $this->transport->last()['json']['group'] );
	}

	public function test_a_routed_call_that_fails_answers_zero_like_action_scheduler(): void {
		$this->transport->fail( 'down' );

		$this->assertSame( 0, $this->routing()->route_recurring( null, 1700000000, 60, 'h', array(), 'wecoza-notifications', 10 ) );
	}

	public function test_unique_is_recovered_from_the_caller_when_the_filter_omits_it(): void {
		$this->transport->answer( 201, array( 'action_id' => 5 ) );
		$routing = $this->routing();

		// Shaped like Action Scheduler 3.8: $unique is the fifth parameter and not passed to the filter.
		$as_schedule_single_action = static fn( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) => $routing->route_single( null, $timestamp, $hook, $args, $group, $priority );
		\Fake_Action_Scheduler::$single = $as_schedule_single_action;
		\as_schedule_single_action( 1700000000, 'h', array(), 'wecoza-notifications', true );

		$this->assertTrue( $this->transport->last()['json']['unique'] );
	}
}
