<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use DateTimeImmutable;
use DateTimeZone;
use WeCoza\Sidecar\Action_Api;
use WeCoza\Sidecar\Client;
use WeCoza\Sidecar\Scheduled_Action;
use WP_Stub_Log;

final class Action_Api_Test extends Sidecar_Test_Case {

	private function api(): Action_Api {
		return new Action_Api( $this->configured_client() );
	}

	public function test_enqueue_async_sends_exactly_the_contract_keys_and_returns_the_id(): void {
		$this->transport->answer( 201, array( 'action_id' => 42 ) );

		$id = $this->api()->enqueue_async( 'as_enqueue_async_action', 'wecoza_test_hook', array( 'x' => 1 ), 'wecoza-tests', true, 10 );

		$this->assertSame( 42, $id );
		$request = $this->transport->last();
		$this->assertStringEndsWith( '/v1/actions/async', $request['url'] );
		$this->assertSame( '{"hook":"wecoza_test_hook","args":{"x":1},"group":"wecoza-tests","unique":true,"priority":10}', $request['args']['body'] );
	}

	public function test_a_unique_twin_answer_returns_zero_without_logging(): void {
		$this->transport->answer( 200, array( 'action_id' => 0, 'existing_action_id' => 42 ) );
		$api = $this->api();

		$this->assertSame( 0, $api->enqueue_async( 'as_enqueue_async_action', 'h', array(), '', true, 10 ) );
		$this->assertNull( $api->last_error() );
		$this->assertSame( '', $this->error_log_text() );
	}

	public function test_priorities_are_clamped_as_action_scheduler_does(): void {
		$this->assertSame( 0, Action_Api::clamp_priority( -5 ) );
		$this->assertSame( 255, Action_Api::clamp_priority( 300 ) );
		$this->assertSame( 7, Action_Api::clamp_priority( '7' ) );
		$this->assertSame( 10, Action_Api::clamp_priority( 10.9 ) );
	}

	public function test_a_clamped_priority_is_what_reaches_the_sidecar(): void {
		$this->transport->answer( 201, array( 'action_id' => 1 ) );

		$this->api()->enqueue_async( 'as_enqueue_async_action', 'h', array(), '', false, 999 );

		$this->assertSame( 255, $this->transport->last()['json']['priority'] );
	}

	public function test_argless_actions_send_an_empty_json_array(): void {
		$this->transport->answer( 201, array( 'action_id' => 1 ) );

		$this->api()->schedule_single( 'as_schedule_single_action', 1700000000, 'h', array(), '', false, 10 );

		$this->assertStringContainsString( '"args":[]', $this->transport->last()['args']['body'] );
		$this->assertSame( 1700000000, $this->transport->last()['json']['timestamp'] );
	}

	public function test_a_failure_returns_zero_and_logs_the_reason_without_the_args(): void {
		$this->transport->fail( 'connection refused' );

		$id = $this->api()->enqueue_async( 'as_enqueue_async_action', 'wecoza_test_hook', array( 'recipient' => 'person@example.com' ), '', false, 10 );

		$this->assertSame( 0, $id );
		$log = $this->error_log_text();
		$this->assertStringContainsString( 'as_enqueue_async_action("wecoza_test_hook")', $log );
		$this->assertStringContainsString( 'wecoza_sidecar_unreachable', $log );
		$this->assertStringNotContainsString( 'person@example.com', $log );
	}

	public function test_repeated_failures_are_logged_once_per_request(): void {
		$this->transport->fail( 'down' )->fail( 'down' );
		$api = $this->api();

		$api->has_scheduled( 'as_has_scheduled_action', 'h', null, '' );
		$api->has_scheduled( 'as_has_scheduled_action', 'h', null, '' );

		$this->assertSame( 1, substr_count( $this->error_log_text(), 'as_has_scheduled_action' ) );
	}

	public function test_non_array_args_are_refused_locally(): void {
		$this->assertSame( 0, $this->api()->enqueue_async( 'as_enqueue_async_action', 'h', 'x', '', false, 10 ) );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_recurring_rejects_fractional_and_non_numeric_intervals_with_a_notice(): void {
		$api = $this->api();

		$this->assertSame( 0, $api->schedule_recurring( 'as_schedule_recurring_action', 1700000000, 123.456, 'h', array(), '', false, 10 ) );
		$this->assertSame( 0, $api->schedule_recurring( 'as_schedule_recurring_action', 1700000000, 'nonsense', 'h', array(), '', false, 10 ) );

		$this->assertCount( 2, WP_Stub_Log::$doing_it_wrong );
		$this->assertSame( 'as_schedule_recurring_action', WP_Stub_Log::$doing_it_wrong[0][0] );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_recurring_accepts_whole_intervals_written_in_any_type(): void {
		$this->transport->answer( 201, array( 'action_id' => 1 ) )->answer( 201, array( 'action_id' => 2 ) )->answer( 201, array( 'action_id' => 3 ) );
		$api = $this->api();

		foreach ( array( 1, '10', 100.0 ) as $interval ) {
			$this->assertGreaterThan( 0, $api->schedule_recurring( 'as_schedule_recurring_action', 1700000000, $interval, 'h', array(), '', false, 10 ) );
		}
		$this->assertSame( array( 1, 10, 100 ), array_map( static fn( $r ) => $r['json']['interval_in_seconds'], $this->transport->requests ) );
		$this->assertStringEndsWith( '/v1/actions/recurring', $this->transport->last()['url'] );
	}

	public function test_a_zero_interval_or_empty_cron_expression_makes_a_single_action(): void {
		$this->transport->answer( 201, array( 'action_id' => 1 ) )->answer( 201, array( 'action_id' => 2 ) );
		$api = $this->api();

		$api->schedule_recurring( 'as_schedule_recurring_action', 1700000000, 0, 'h', array(), '', false, 10 );
		$api->schedule_cron( 'as_schedule_cron_action', 1700000000, '', 'h', array(), '', false, 10 );

		foreach ( $this->transport->requests as $request ) {
			$this->assertStringEndsWith( '/v1/actions/single', $request['url'] );
			$this->assertArrayNotHasKey( 'interval_in_seconds', $request['json'] );
		}
	}

	public function test_cron_sends_the_expression(): void {
		$this->transport->answer( 201, array( 'action_id' => 8 ) );

		$this->assertSame( 8, $this->api()->schedule_cron( 'as_schedule_cron_action', 1700000000, '0 0 10 10 *', 'h', array(), 'g', false, 3 ) );
		$this->assertSame( '0 0 10 10 *', $this->transport->last()['json']['schedule'] );
		$this->assertStringEndsWith( '/v1/actions/cron', $this->transport->last()['url'] );
	}

	public function test_unschedule_returns_the_id_null_when_nothing_matched_and_null_on_failure(): void {
		$this->transport->answer( 200, array( 'action_id' => 12 ) )->answer( 200, array( 'action_id' => null ) )->fail( 'down' );
		$api = $this->api();

		$this->assertSame( 12, $api->unschedule( 'as_unschedule_action', 'h', array(), '' ) );
		$this->assertNull( $api->unschedule( 'as_unschedule_action', 'h', array(), '' ) );
		$this->assertNull( $api->unschedule( 'as_unschedule_action', 'h', array(), '' ) );
		$this->assertSame( array( 'hook' => 'h', 'args' => array(), 'group' => '' ), $this->transport->requests[0]['json'] );
	}

	public function test_unschedule_returns_zero_while_unconfigured_like_an_uninitialised_scheduler(): void {
		$api = new Action_Api( new Client( self::config(), $this->transport ) );

		$this->assertSame( 0, $api->unschedule( 'as_unschedule_action', 'h', array(), '' ) );
	}

	public function test_null_args_are_sent_as_null_meaning_any(): void {
		$this->transport->answer( 200, array( 'canceled' => 3 ) );

		$this->api()->unschedule_all( 'as_unschedule_all_actions', 'h', null, '' );

		$this->assertSame( '{"hook":"h","args":null,"group":""}', $this->transport->last()['args']['body'] );
	}

	public function test_next_scheduled_passes_through_timestamps_and_booleans_and_fails_false(): void {
		$this->transport
			->answer( 200, array( 'next' => 1700000100 ) )
			->answer( 200, array( 'next' => true ) )
			->answer( 200, array( 'next' => false ) )
			->fail( 'down' );
		$api = $this->api();

		$this->assertSame( 1700000100, $api->next_scheduled( 'as_next_scheduled_action', 'a', null, '' ) );
		$this->assertTrue( $api->next_scheduled( 'as_next_scheduled_action', 'b', null, '' ) );
		$this->assertFalse( $api->next_scheduled( 'as_next_scheduled_action', 'c', null, '' ) );
		$this->assertFalse( $api->next_scheduled( 'as_next_scheduled_action', 'd', null, '' ) );
	}

	public function test_has_scheduled_is_a_strict_boolean_and_false_on_failure(): void {
		$this->transport->answer( 200, array( 'scheduled' => true ) )->answer( 200, array( 'scheduled' => 'yes' ) )->fail( 'down' );
		$api = $this->api();

		$this->assertTrue( $api->has_scheduled( 'as_has_scheduled_action', 'a', null, '' ) );
		$this->assertFalse( $api->has_scheduled( 'as_has_scheduled_action', 'b', null, '' ) );
		$this->assertFalse( $api->has_scheduled( 'as_has_scheduled_action', 'c', null, '' ) );
	}

	public function test_get_scheduled_ids_are_numeric_strings_like_action_scheduler_returns(): void {
		$this->transport->answer( 200, array( 'actions' => array( array( 'id' => 4, 'hook' => 'h' ), array( 'id' => 9, 'hook' => 'h' ) ), 'total' => 2 ) );

		$this->assertSame( array( '4', '9' ), $this->api()->get_scheduled( 'as_get_scheduled_actions', array( 'hook' => 'h' ), 'ids' ) );
	}

	public function test_get_scheduled_converts_dates_and_status_lists_and_drops_unknown_keys(): void {
		$this->transport->answer( 200, array( 'actions' => array(), 'total' => 0 ) );
		$date = new DateTimeImmutable( '2024-01-01 00:00:00', new DateTimeZone( 'UTC' ) );

		$this->api()->get_scheduled(
			'as_get_scheduled_actions',
			array(
				'hook'     => 'h',
				'status'   => array( 'pending', 'failed' ),
				'date'     => $date,
				'per_page' => -1,
				'claimed'  => null,
				'custom'   => 'ignored',
			),
			'ids'
		);

		$this->assertSame(
			array( 'hook' => 'h', 'date' => 1704067200, 'status' => array( 'pending', 'failed' ), 'per_page' => -1 ),
			$this->transport->last()['json']
		);
	}

	public function test_get_scheduled_objects_are_keyed_by_id(): void {
		$this->transport->answer( 200, array( 'actions' => array( array( 'id' => 4, 'hook' => 'h', 'args' => array( 1 ), 'group' => 'g', 'priority' => 5, 'status' => 'pending' ) ), 'total' => 1 ) );

		$actions = $this->api()->get_scheduled( 'as_get_scheduled_actions', array(), OBJECT );

		$this->assertInstanceOf( Scheduled_Action::class, $actions[4] );
		$this->assertSame( 'h', $actions[4]->get_hook() );
		$this->assertSame( array( 1 ), $actions[4]->get_args() );
		$this->assertSame( 5, $actions[4]->get_priority() );
	}

	public function test_get_scheduled_returns_an_empty_array_on_failure(): void {
		$this->transport->fail( 'down' );

		$this->assertSame( array(), $this->api()->get_scheduled( 'as_get_scheduled_actions', array( 'hook' => 'h' ), 'ids' ) );
	}

	public function test_timestamps_are_read_from_numbers_datetimes_and_utc_date_strings(): void {
		$this->assertSame( 1700000000, Action_Api::to_timestamp( 1700000000 ) );
		$this->assertSame( 1700000000, Action_Api::to_timestamp( '1700000000' ) );
		$this->assertSame( 1704067200, Action_Api::to_timestamp( '2024-01-01 00:00:00' ) );
		$this->assertSame( 1704067200, Action_Api::to_timestamp( new DateTimeImmutable( '@1704067200' ) ) );
		$this->assertEqualsWithDelta( time(), Action_Api::to_timestamp( null ), 2 );
		$this->assertNull( Action_Api::to_timestamp( 'not a date at all' ) );
		$this->assertNull( Action_Api::to_timestamp( array() ) );
	}
}
