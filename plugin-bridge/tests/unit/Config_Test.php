<?php
/**
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

final class Config_Test extends Sidecar_Test_Case {

	public function test_wp_config_constants_win_over_options(): void {
		$config = self::config(
			array(
				'wecoza_sidecar_url'   => 'http://option.test',
				'wecoza_sidecar_token' => 'option-token',
			),
			array( 'WECOZA_SIDECAR_URL' => 'http://constant.test/' )
		);

		$this->assertSame( 'http://constant.test', $config->url() );
		$this->assertSame( 'option-token', $config->token() );
		$this->assertTrue( $config->is_locked( 'url' ) );
		$this->assertFalse( $config->is_locked( 'token' ) );
	}

	public function test_configured_means_both_url_and_token(): void {
		$this->assertFalse( self::config( array( 'wecoza_sidecar_url' => 'http://x.test' ) )->is_configured() );
		$this->assertTrue( self::config( array( 'wecoza_sidecar_url' => 'http://x.test', 'wecoza_sidecar_token' => 't' ) )->is_configured() );
	}

	public function test_defaults_allow_wecoza_hooks_and_route_the_notification_group(): void {
		$config = self::config();

		$this->assertTrue( $config->allows_hook( 'wecoza_test_hook' ) );
		$this->assertFalse( $config->allows_hook( 'woocommerce_cleanup' ) );
		$this->assertSame( array( 'wecoza-notifications' ), $config->routed_groups() );
	}

	public function test_allowlist_entries_are_exact_names_or_star_prefixes(): void {
		$config = self::config( array(), array( 'WECOZA_SIDECAR_HOOK_ALLOWLIST' => "exact_hook, my_prefix_*\n" ) );

		$this->assertTrue( $config->allows_hook( 'exact_hook' ) );
		$this->assertFalse( $config->allows_hook( 'exact_hook_more' ) );
		$this->assertTrue( $config->allows_hook( 'my_prefix_anything' ) );
		$this->assertFalse( $config->allows_hook( 'wecoza_test_hook' ) );
	}

	public function test_an_explicitly_empty_allowlist_allows_nothing(): void {
		$this->assertFalse( self::config( array( 'wecoza_sidecar_hook_allowlist' => array() ) )->allows_hook( 'wecoza_test_hook' ) );
	}
}
