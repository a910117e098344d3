<?php
/**
 * The per-request cache of the sidecar's answers behind the bridge's store.
 *
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use WeCoza\Sidecar\List_Table_Actions;
use WeCoza\Sidecar\Remote_Actions;
use WP_Error;

final class Remote_Actions_Test extends Sidecar_Test_Case {

	private const A = 1000000000000001;
	private const B = 1000000000000002;

	private float $now = 1000.0;

	private function remote(): Remote_Actions {
		return new Remote_Actions( $this->configured_client(), fn(): float => $this->now );
	}

	private static function action( int $id, string $status = 'pending' ): array {
		return array(
			'id'                  => $id,
			'hook'                => 'wecoza_hook',
			'status'              => $status,
			'args'                => array( 'n' => $id ),
			'group'               => 'wecoza-notifications',
			'schedule'            => array( 'type' => 'async' ),
			'scheduled_timestamp' => 1700000000,
			'claim_id'            => null,
		);
	}

	private function paths(): array {
		return array_map( static fn( array $request ): string => $request['args']['method'] . ' ' . parse_url( $request['url'], PHP_URL_PATH ), $this->transport->requests );
	}

	public function test_a_page_costs_one_query_one_fetch_of_the_logs_of_all_its_rows_and_one_count(): void {
		$this->transport
			->answer( 200, array( 'actions' => array( self::action( self::A ), self::action( self::B ) ), 'total' => 2 ) )
			->answer(
				200,
				array(
					'actions' => array(
						self::action( self::A ) + array( 'logs' => array( array( 'id' => 1, 'message' => 'action created', 'date_gmt' => '2026-01-01T00:00:00.000Z' ) ) ),
						self::action( self::B ) + array( 'logs' => array() ),
					),
					'missing' => array(),
				)
			)
			->answer( 200, array( 'counts' => array( 'pending' => 2 ), 'past_due' => 0 ) );
		$remote = $this->remote();
		$body   = array( 'per_page' => 20, 'offset' => 0 );

		// The list table: count, then the same query for the rows, then per row its fields and logs.
		$this->assertSame( 2, $remote->query( $body )['total'] );
		$this->assertCount( 2, $remote->query( $body )['actions'] );
		$remote->expect( array( self::A, self::B ) );
		foreach ( array( self::A, self::B ) as $id ) {
			$this->assertSame( 'pending', $remote->find( $id )['status'] );
			$remote->logs( $id );
		}
		$this->assertSame( 'action created', $remote->logs( self::A )[0]['message'] );
		$this->assertSame( array(), $remote->logs( self::B ) );
		$remote->counts();
		$remote->counts();

		$this->assertSame( array( 'POST /v1/actions/query', 'POST /v1/actions/fetch', 'GET /v1/actions/counts' ), $this->paths() );
		$this->assertSame( array( 'ids' => array( self::A, self::B ), 'logs' => true ), $this->transport->requests[1]['json'] );
	}

	public function test_a_write_forgets_every_answer(): void {
		$this->transport
			->answer( 200, array( 'actions' => array( self::action( self::A ) ), 'total' => 1 ) )
			->answer( 200, self::action( self::A, 'canceled' ) )
			->answer( 200, array( 'actions' => array(), 'total' => 0 ) );
		$remote = $this->remote();

		$remote->query( array( 'hook' => 'wecoza_hook' ) );
		$remote->cancel( self::A );

		$this->assertSame( 0, $remote->query( array( 'hook' => 'wecoza_hook' ) )['total'] );
		$this->assertCount( 3, $this->transport->requests );
	}

	public function test_answers_expire_after_ten_seconds_for_long_requests(): void {
		$this->transport->answer( 200, self::action( self::A ) )->answer( 200, self::action( self::A, 'complete' ) );
		$remote = $this->remote();

		$remote->find( self::A );
		$this->now += 9.0;
		$this->assertSame( 'pending', $remote->find( self::A )['status'] );
		$this->now += 2.0;

		$this->assertSame( 'complete', $remote->find( self::A )['status'] );
		$this->assertCount( 2, $this->transport->requests );
	}

	public function test_an_unknown_id_is_null_and_remembered_and_a_failure_is_an_error(): void {
		$this->transport->answer( 404, array( 'error' => array( 'code' => 'not_found', 'message' => 'No action.' ) ) )->fail( 'Connection refused' );
		$remote = $this->remote();

		$this->assertNull( $remote->find( self::A ) );
		$this->assertNull( $remote->find( self::A ) );
		$this->assertInstanceOf( WP_Error::class, $remote->find( self::B ) );
		$this->assertCount( 2, $this->transport->requests );
		$this->assertStringNotContainsString( 'GET /v1/actions/{id} failed [wecoza_sidecar_not_found]', $this->error_log_text(), 'a 404 is an answer, not a failure' );
		$this->assertStringContainsString( 'GET /v1/actions/{id} failed [wecoza_sidecar_unreachable]', $this->error_log_text() );
	}

	public function test_after_one_unreachable_read_the_requests_other_reads_fail_at_once_and_writes_still_try(): void {
		$this->transport->fail( 'Operation timed out after 5000 milliseconds' )->answer( 201, array( 'action_id' => self::A ) );
		$remote = $this->remote();

		$this->assertInstanceOf( WP_Error::class, $remote->query( array( 'hook' => 'a' ) ) );
		$this->assertInstanceOf( WP_Error::class, $remote->query( array( 'hook' => 'b' ) ) );
		$this->assertInstanceOf( WP_Error::class, $remote->counts() );
		$this->assertCount( 1, $this->transport->requests, 'one timeout per request, not one per query' );
		$this->assertSame( self::A, $remote->create( 'async', array( 'hook' => 'h' ) ) );
	}

	public function test_create_returns_the_id_or_zero_for_a_unique_twin(): void {
		$this->transport->answer( 201, array( 'action_id' => self::A ) )->answer( 200, array( 'action_id' => 0, 'existing_action_id' => self::A ) );
		$remote = $this->remote();

		$this->assertSame( self::A, $remote->create( 'async', array( 'hook' => 'h', 'unique' => true ) ) );
		$this->assertSame( 0, $remote->create( 'async', array( 'hook' => 'h', 'unique' => true ) ) );
		$this->assertSame( 'http://sidecar.test:8787/v1/actions/async', $this->transport->last()['url'] );
	}

	public function test_the_list_tables_notice_reports_the_sidecars_outcome_of_run(): void {
		$this->assertSame( array( 1, '' ), List_Table_Actions::outcome( 'run', array( 'status' => 'complete' ) ) );
		$this->assertSame( array( 1, '' ), List_Table_Actions::outcome( 'run', array( 'status' => 'in-progress' ) ) );
		$this->assertSame( array( 0, 'The sidecar ran it and it failed: boom' ), List_Table_Actions::outcome( 'run', array( 'status' => 'failed', 'last_error' => 'boom' ) ) );
		$this->assertSame( 0, List_Table_Actions::outcome( 'run', array( 'status' => 'pending', 'last_error' => 'retry' ) )[0] );
		$this->assertSame( array( 1, '' ), List_Table_Actions::outcome( 'cancel', array( 'status' => 'canceled' ) ) );
		$this->assertSame( array( 0, 'not pending' ), List_Table_Actions::outcome( 'cancel', new WP_Error( 'wecoza_sidecar_not_pending', 'not pending' ) ) );
	}

	public function test_config_tells_sidecar_ids_and_routed_groups(): void {
		$config = self::config();
		$this->assertFalse( $config->is_sidecar_id( 999999999999999 ) );
		$this->assertTrue( $config->is_sidecar_id( '1000000000000000' ) );
		$this->assertFalse( $config->is_sidecar_id( 'abc' ) );
		$this->assertTrue( $config->routes_group( 'wecoza-notifications' ) );
		$this->assertFalse( $config->routes_group( '' ) );
		$every = self::config( array( 'wecoza_sidecar_routed_groups' => "*\n" ) );
		$this->assertTrue( $every->routes_group( 'woocommerce' ) );
		$this->assertTrue( $every->routes_group( '' ) );
		$this->assertTrue( self::config( array(), array( 'WECOZA_SIDECAR_ACTION_ID_FLOOR' => 5000 ) )->is_sidecar_id( 5000 ) );
	}
}
