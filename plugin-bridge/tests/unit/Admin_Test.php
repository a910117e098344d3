<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use WeCoza\Sidecar\Admin_Screen;
use WeCoza\Sidecar\Notifications_Filter;

final class Admin_Test extends Sidecar_Test_Case {

	protected function tearDown(): void {
		\WP_Stub_User::$caps = array( 'manage_options' );
		parent::tearDown();
	}

	public function test_addresses_are_shown_to_administrators_and_masked_for_everyone_else(): void {
		$this->assertSame( 'ops@example.com', Admin_Screen::address( 'ops@example.com' ) );

		\WP_Stub_User::$caps = array( 'edit_posts' );
		$this->assertSame( 'o…@example.com', Admin_Screen::address( 'ops@example.com' ) );
		$this->assertSame( '…', Admin_Screen::address( 'not-an-address' ) );
		$this->assertSame(
			'550 5.1.1 <b…@example.com>: mailbox unavailable',
			Admin_Screen::text_with_addresses( '550 5.1.1 <bounce@example.com>: mailbox unavailable' )
		);
	}

	public function test_the_filter_keeps_what_the_sidecar_accepts_and_drops_the_rest(): void {
		$filter = Notifications_Filter::from_request(
			array(
				'state'     => 'skipped,lost,failed',
				'operation' => 'update',
				'class_id'  => '42',
				's'         => ' IMP02 ',
			)
		);
		$this->assertSame( 'failed,skipped', $filter->state );
		$this->assertSame(
			array( 'operation' => 'UPDATE', 'class_id' => 42, 'search' => 'IMP02', 'state' => 'failed,skipped' ),
			$filter->to_query()
		);

		$odd = Notifications_Filter::from_request( array( 'operation' => 'DROP TABLE', 'class_id' => '-1', 's' => array( 'x' ) ) );
		$this->assertSame( array(), $odd->to_query() );
	}
}
