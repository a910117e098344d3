<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use WeCoza\Sidecar\Client;
use WP_Error;
use WP_Stub_Log;

final class Client_Test extends Sidecar_Test_Case {

	public function test_a_post_sends_json_with_the_bearer_token_to_the_base_url(): void {
		$this->transport->answer( 201, array( 'action_id' => 5 ) );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( array( 'action_id' => 5 ), $answer );
		$request = $this->transport->last();
		$this->assertSame( 'http://sidecar.test:8787/v1/actions/async', $request['url'] );
		$this->assertSame( 'POST', $request['args']['method'] );
		$this->assertSame( 'Bearer tok-123', $request['args']['headers']['Authorization'] );
		$this->assertSame( 'application/json', $request['args']['headers']['Content-Type'] );
		$this->assertSame( 0, $request['args']['redirection'] );
		$this->assertLessThanOrEqual( 5, $request['args']['timeout'] );
	}

	public function test_empty_args_travel_as_a_json_array_and_keyed_args_as_an_object(): void {
		$this->transport->answer( 201, array( 'action_id' => 1 ) )->answer( 201, array( 'action_id' => 2 ) );
		$client = $this->configured_client();

		$client->post( '/v1/actions/async', array( 'hook' => 'h', 'args' => array() ) );
		$this->assertSame( '{"hook":"h","args":[]}', $this->transport->last()['args']['body'] );

		$client->post( '/v1/actions/async', array( 'hook' => 'h', 'args' => array( 'x' => 1 ) ) );
		$this->assertSame( '{"hook":"h","args":{"x":1}}', $this->transport->last()['args']['body'] );
	}

	public function test_an_empty_top_level_body_is_sent_as_an_object(): void {
		$this->transport->answer( 200, array( 'status' => 'processed' ) );

		$this->configured_client()->post( '/v1/notifications/process' );

		$this->assertSame( '{}', $this->transport->last()['args']['body'] );
	}

	public function test_open_routes_are_called_without_a_token_and_without_needing_one(): void {
		$this->transport->answer( 200, array( 'status' => 'ok' ) );
		$client = new Client( self::config( array( 'wecoza_sidecar_url' => 'http://sidecar.test' ) ), $this->transport );

		$answer = $client->get( '/readyz', array(), array( 'auth' => false ) );

		$this->assertSame( array( 'status' => 'ok' ), $answer );
		$this->assertArrayNotHasKey( 'Authorization', $this->transport->last()['args']['headers'] );
		$this->assertArrayNotHasKey( 'body', $this->transport->last()['args'] );
	}

	public function test_get_puts_the_query_in_the_url(): void {
		$this->transport->answer( 200, array( 'actions' => array(), 'total' => 0 ) );

		$this->configured_client()->get( '/v1/actions', array( 'per_page' => 1 ) );

		$this->assertSame( 'http://sidecar.test:8787/v1/actions?per_page=1', $this->transport->last()['url'] );
		$this->assertSame( 'GET', $this->transport->last()['args']['method'] );
	}

	public function test_an_unconfigured_client_fails_without_sending_anything(): void {
		$client = new Client( self::config(), $this->transport );

		$answer = $client->post( '/v1/actions/has', array() );

		$this->assertInstanceOf( WP_Error::class, $answer );
		$this->assertSame( 'wecoza_sidecar_unconfigured', $answer->get_error_code() );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_a_missing_token_fails_authenticated_routes_only(): void {
		$client = new Client( self::config( array( 'wecoza_sidecar_url' => 'http://sidecar.test' ) ), $this->transport );

		$answer = $client->post( '/v1/actions/has', array() );

		$this->assertSame( 'wecoza_sidecar_unconfigured', $answer->get_error_code() );
		$this->assertSame( array(), $this->transport->requests );
	}

	public function test_a_connection_failure_becomes_a_prefixed_error_and_fires_the_failure_hook(): void {
		$this->transport->fail( 'cURL error 7: Failed to connect' );

		$answer = $this->configured_client()->post( '/v1/actions/has', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_unreachable', $answer->get_error_code() );
		$this->assertStringContainsString( 'Failed to connect', $answer->get_error_message() );
		$this->assertSame( 'wecoza_sidecar_request_failed', WP_Stub_Log::$actions[0][0] );
		$this->assertSame( array( 'POST', '/v1/actions/has' ), array_slice( WP_Stub_Log::$actions[0][1], 1 ) );
	}

	public function test_a_sidecar_error_body_becomes_a_wp_error_with_its_code_and_status(): void {
		$this->transport->answer( 400, array( 'error' => array( 'code' => 'args_too_long', 'message' => 'args exceed 8000 bytes' ) ) );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_args_too_long', $answer->get_error_code() );
		$this->assertSame( 'args exceed 8000 bytes', $answer->get_error_message() );
		$this->assertSame( 400, $answer->get_error_data()['status'] );
		$this->assertSame( 'args_too_long', $answer->get_error_data()['sidecar_code'] );
	}

	public function test_an_error_without_a_json_body_is_named_after_its_status(): void {
		$this->transport->answer( 502, '<html>Bad gateway</html>' );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_http_502', $answer->get_error_code() );
	}

	public function test_a_success_status_without_json_is_a_bad_response(): void {
		$this->transport->answer( 200, 'not json' );

		$answer = $this->configured_client()->post( '/v1/actions/has', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_bad_response', $answer->get_error_code() );
	}

	public function test_a_429_with_a_short_retry_after_is_retried_once_after_waiting(): void {
		$this->transport
			->answer( 429, array( 'error' => array( 'code' => 'rate_limited', 'message' => 'slow down' ) ), array( 'Retry-After' => '2' ) )
			->answer( 201, array( 'action_id' => 9 ) );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( array( 'action_id' => 9 ), $answer );
		$this->assertSame( array( 2 ), $this->slept );
		$this->assertCount( 2, $this->transport->requests );
	}

	public function test_a_second_429_is_returned_as_an_error_without_a_third_try(): void {
		$limited = array( 'error' => array( 'code' => 'rate_limited', 'message' => 'slow down' ) );
		$this->transport
			->answer( 429, $limited, array( 'retry-after' => '1' ) )
			->answer( 429, $limited, array( 'retry-after' => '1' ) )
			->answer( 201, array( 'action_id' => 9 ) );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_rate_limited', $answer->get_error_code() );
		$this->assertSame( 1, $answer->get_error_data()['retry_after'] );
		$this->assertCount( 2, $this->transport->requests );
	}

	public function test_a_429_asking_for_a_long_wait_is_not_retried(): void {
		$this->transport->answer( 429, array( 'error' => array( 'code' => 'rate_limited', 'message' => 'slow down' ) ), array( 'Retry-After' => '30' ) );

		$answer = $this->configured_client()->post( '/v1/actions/async', array( 'hook' => 'h' ) );

		$this->assertSame( 'wecoza_sidecar_rate_limited', $answer->get_error_code() );
		$this->assertSame( 30, $answer->get_error_data()['retry_after'] );
		$this->assertSame( array(), $this->slept );
		$this->assertCount( 1, $this->transport->requests );
	}

	public function test_a_retry_after_given_as_an_http_date_is_read_as_seconds_from_now(): void {
		$response = array(
			'headers'  => array( 'Retry-After' => gmdate( 'D, d M Y H:i:s \G\M\T', time() + 120 ) ),
			'response' => array( 'code' => 429 ),
		);

		$seconds = Client::retry_after_seconds( $response );

		$this->assertGreaterThanOrEqual( 118, $seconds );
		$this->assertLessThanOrEqual( 120, $seconds );
	}

	public function test_identical_has_and_next_calls_are_answered_once_per_request(): void {
		$this->transport->answer( 200, array( 'scheduled' => true ) )->answer( 200, array( 'next' => 1700000000 ) );
		$client = $this->configured_client();
		$body   = array( 'hook' => 'h', 'args' => null, 'group' => '' );

		$client->post( '/v1/actions/has', $body );
		$again = $client->post( '/v1/actions/has', $body );
		$client->post( '/v1/actions/next', $body );
		$client->post( '/v1/actions/next', $body );

		$this->assertSame( array( 'scheduled' => true ), $again );
		$this->assertCount( 2, $this->transport->requests );
	}

	public function test_the_cache_is_shared_by_every_client_in_the_request(): void {
		$this->transport->answer( 200, array( 'scheduled' => false ) );
		$body = array( 'hook' => 'h', 'args' => null, 'group' => '' );

		$this->configured_client()->post( '/v1/actions/has', $body );
		$this->configured_client()->post( '/v1/actions/has', $body );

		$this->assertCount( 1, $this->transport->requests );
	}

	public function test_any_write_forgets_cached_answers(): void {
		$this->transport
			->answer( 200, array( 'scheduled' => false ) )
			->answer( 201, array( 'action_id' => 3 ) )
			->answer( 200, array( 'scheduled' => true ) );
		$client = $this->configured_client();
		$body   = array( 'hook' => 'h', 'args' => null, 'group' => '' );

		$client->post( '/v1/actions/has', $body );
		$client->post( '/v1/actions/async', array( 'hook' => 'h' ) );
		$after = $client->post( '/v1/actions/has', $body );

		$this->assertSame( array( 'scheduled' => true ), $after );
		$this->assertCount( 3, $this->transport->requests );
	}

	public function test_queries_keep_the_cache_and_different_arguments_are_cached_apart(): void {
		$this->transport
			->answer( 200, array( 'scheduled' => true ) )
			->answer( 200, array( 'actions' => array(), 'total' => 0 ) )
			->answer( 200, array( 'scheduled' => false ) );
		$client = $this->configured_client();

		$client->post( '/v1/actions/has', array( 'hook' => 'a' ) );
		$client->post( '/v1/actions/query', array( 'hook' => 'a' ) );
		$client->post( '/v1/actions/has', array( 'hook' => 'a' ) );
		$other = $client->post( '/v1/actions/has', array( 'hook' => 'b' ) );

		$this->assertSame( array( 'scheduled' => false ), $other );
		$this->assertCount( 3, $this->transport->requests );
	}

	public function test_failures_are_not_cached(): void {
		$this->transport->fail( 'timeout' )->answer( 200, array( 'scheduled' => true ) );
		$client = $this->configured_client();

		$first  = $client->post( '/v1/actions/has', array( 'hook' => 'h' ) );
		$second = $client->post( '/v1/actions/has', array( 'hook' => 'h' ) );

		$this->assertInstanceOf( WP_Error::class, $first );
		$this->assertSame( array( 'scheduled' => true ), $second );
	}

	public function test_large_integers_in_answers_are_kept_exactly(): void {
		$this->transport->answer( 200, '{"next":true,"big":12345678901234567890}' );

		$answer = $this->configured_client()->post( '/v1/actions/next', array( 'hook' => 'h' ) );

		$this->assertSame( '12345678901234567890', $answer['big'] );
	}

	/**
	 * as_get_scheduled_actions → as_unschedule_action: the args the sidecar returns (its stored text)
	 * go back with the same key order, the same 64-bit integers and the same strings, so the sidecar's
	 * exact match finds the action again. (It folds `\/` and `\u00e9` to `/` and `é` when matching.)
	 */
	public function test_args_read_from_a_list_go_back_in_the_same_order_with_the_same_integers(): void {
		$stored = '{"2":"c","0":"a","id":9223372036854775807,"n":-42,"s":"caf\u00e9 / x"}';
		$this->transport->answer( 200, '{"actions":[{"id":1,"args":' . $stored . '}],"total":1}' )->answer( 200, array( 'action_id' => 1 ) );
		$client = $this->configured_client();

		$listed = $client->post( '/v1/actions/query', array( 'hook' => 'h' ) );
		$this->assertSame( array( 2, 0, 'id', 'n', 's' ), array_keys( $listed['actions'][0]['args'] ) );
		$this->assertSame( PHP_INT_MAX, $listed['actions'][0]['args']['id'] );

		$client->post( '/v1/actions/unschedule', array( 'hook' => 'h', 'args' => $listed['actions'][0]['args'] ) );
		$this->assertSame( '{"hook":"h","args":{"2":"c","0":"a","id":9223372036854775807,"n":-42,"s":"caf\u00e9 \/ x"}}', $this->transport->last()['args']['body'] );
	}
}
