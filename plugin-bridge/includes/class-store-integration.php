<?php
/**
 * Makes the bridge Action Scheduler's store and logger.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WeCoza\Sidecar\Action_Scheduler\Logger;
use WeCoza\Sidecar\Action_Scheduler\Store;

/**
 * Action Scheduler makes its store and logger once, at `plugins_loaded` priority 1, from the class
 * names the filters `action_scheduler_store_class` and `action_scheduler_logger_class` give. Its
 * own data controller (or its migration controller) sets those at priority 100. This plugin's file
 * is loaded before `plugins_loaded`, so its filters are in place in time; at PRIORITY they run last
 * and wrap whatever the earlier callbacks chose, which keeps the migration's hybrid store working.
 *
 * When this does not happen (Action Scheduler made its store before this plugin loaded, the
 * bridge is not configured, or the filter `wecoza_sidecar_action_scheduler_store` says no), the
 * `pre_as_*` routing of Routing is the path instead: scheduling calls reach the sidecar, reads do not.
 */
final class Store_Integration {

	/**
	 * Above the data controller's 100.
	 */
	public const PRIORITY = 1000;

	public function __construct( private Config $config, private Remote_Actions $remote ) {
	}

	public function register(): void {
		\add_filter( 'action_scheduler_store_class', array( $this, 'store_class' ), self::PRIORITY );
		\add_filter( 'action_scheduler_logger_class', array( $this, 'logger_class' ), self::PRIORITY );
	}

	/**
	 * Whether the bridge's store is Action Scheduler's store in this request.
	 */
	public static function in_charge(): bool {
		return class_exists( Store::class, false ) && null !== Store::current();
	}

	/**
	 * @param mixed $class The store class chosen so far.
	 * @return mixed
	 */
	public function store_class( $class ) {
		if ( ! $this->wanted() || ! self::is_class_of( $class, 'ActionScheduler_Store' ) ) {
			return $class;
		}
		self::load();
		Store::$inner_class    = $class;
		Store::$remote_actions = $this->remote;
		return Store::class;
	}

	/**
	 * @param mixed $class The logger class chosen so far.
	 * @return mixed
	 */
	public function logger_class( $class ) {
		if ( ! $this->wanted() || ! self::is_class_of( $class, 'ActionScheduler_Logger' ) ) {
			return $class;
		}
		self::load();
		Logger::$inner_class    = $class;
		Logger::$remote_actions = $this->remote;
		return Logger::class;
	}

	/**
	 * What an administrator should know about the integration, for the settings page.
	 */
	public static function describe(): string {
		if ( ! class_exists( 'ActionScheduler_Store', false ) ) {
			return \__( 'Action Scheduler is not loaded: the bridge answers the as_* functions itself.', 'wecoza-sidecar' );
		}
		if ( self::in_charge() ) {
			return sprintf(
				/* translators: %s: class name of Action Scheduler's own store. */
				\__( 'The bridge is Action Scheduler\'s store (wrapping %s): routed groups live in the sidecar, every as_* call and Tools → Scheduled Actions see both.', 'wecoza-sidecar' ),
				Store::$inner_class
			);
		}
		return \__( 'Action Scheduler made its store before the bridge could wrap it (or the bridge is unconfigured): only scheduling calls of routed groups reach the sidecar, through the pre_as_* filters.', 'wecoza-sidecar' );
	}

	private function wanted(): bool {
		/**
		 * Whether the bridge wraps Action Scheduler's store and logger. Default true; false leaves
		 * only the pre_as_* routing of scheduling calls.
		 *
		 * @param bool $wrap Wrap them.
		 */
		return $this->config->is_configured() && (bool) \apply_filters( 'wecoza_sidecar_action_scheduler_store', true );
	}

	/**
	 * @param mixed $class Class name from the filter.
	 */
	private static function is_class_of( $class, string $parent ): bool {
		return is_string( $class ) && class_exists( $class ) && is_a( $class, $parent, true );
	}

	/**
	 * The classes that extend Action Scheduler's exist only once Action Scheduler is loaded.
	 */
	public static function load(): void {
		require_once __DIR__ . '/action-scheduler/class-action-mapper.php';
		require_once __DIR__ . '/action-scheduler/class-local-sort-keys.php';
		require_once __DIR__ . '/action-scheduler/class-lifecycle-listener.php';
		require_once __DIR__ . '/action-scheduler/class-query-router.php';
		require_once __DIR__ . '/action-scheduler/class-store.php';
		require_once __DIR__ . '/action-scheduler/class-logger.php';
	}
}
