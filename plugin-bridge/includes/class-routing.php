<?php
/**
 * Sends Action Scheduler's scheduling calls for chosen groups to the sidecar.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * When Action Scheduler is loaded (WeCoza always loads it), its four
 * scheduling functions offer a `pre_as_*` filter that may answer instead of
 * the local store. For groups on the routed list we answer with the
 * sidecar's action id; every other call, and every call an earlier callback
 * already answered, is left to Action Scheduler untouched.
 *
 * This is the fallback path. Normally the bridge is Action Scheduler's store
 * (Store_Integration) and routes every call, reads included; these filters
 * only act when that store could not be installed (Action Scheduler was
 * initialised before this plugin loaded, or the store was switched off).
 * Then only scheduling reaches the sidecar: unschedule, has, next and the
 * query read Action Scheduler's own tables.
 */
final class Routing {

	/**
	 * @var callable(): bool
	 */
	private $store_in_charge;

	/**
	 * @param callable|null $store_in_charge Whether the bridge's store is Action Scheduler's store this
	 *                                       request: then it routes every write itself and these filters
	 *                                       stand aside (one route per call, never two).
	 */
	public function __construct( private Config $config, private Action_Api $api, ?callable $store_in_charge = null ) {
		$this->store_in_charge = $store_in_charge ?? static fn(): bool => false;
	}

	public function register(): void {
		// Up to 7/8 accepted args: Action Scheduler after 3.8 appends $unique to the last three.
		\add_filter( 'pre_as_enqueue_async_action', array( $this, 'route_async' ), 10, 6 );
		\add_filter( 'pre_as_schedule_single_action', array( $this, 'route_single' ), 10, 7 );
		\add_filter( 'pre_as_schedule_recurring_action', array( $this, 'route_recurring' ), 10, 8 );
		\add_filter( 'pre_as_schedule_cron_action', array( $this, 'route_cron' ), 10, 8 );
	}

	/**
	 * @param mixed $pre Non-null when an earlier callback answered.
	 * @return mixed
	 */
	public function route_async( $pre, $hook, $args = array(), $group = '', $priority = 10, $unique = false ) {
		if ( ! $this->takes( $pre, $group ) ) {
			return $pre;
		}
		return $this->answer( $this->api->enqueue_async( 'as_enqueue_async_action', $hook, $args, $group, $unique, $priority ) );
	}

	/**
	 * @param mixed $pre Non-null when an earlier callback answered.
	 * @return mixed
	 */
	public function route_single( $pre, $timestamp, $hook, $args = array(), $group = '', $priority = 10, $unique = null ) {
		if ( ! $this->takes( $pre, $group ) ) {
			return $pre;
		}
		$unique = $unique ?? self::unique_from_caller( 'as_schedule_single_action', 4 );
		return $this->answer( $this->api->schedule_single( 'as_schedule_single_action', $timestamp, $hook, $args, $group, $unique, $priority ) );
	}

	/**
	 * @param mixed $pre Non-null when an earlier callback answered.
	 * @return mixed
	 */
	public function route_recurring( $pre, $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $priority = 10, $unique = null ) {
		if ( ! $this->takes( $pre, $group ) ) {
			return $pre;
		}
		$unique = $unique ?? self::unique_from_caller( 'as_schedule_recurring_action', 5 );
		return $this->answer( $this->api->schedule_recurring( 'as_schedule_recurring_action', $timestamp, $interval_in_seconds, $hook, $args, $group, $unique, $priority ) );
	}

	/**
	 * @param mixed $pre Non-null when an earlier callback answered.
	 * @return mixed
	 */
	public function route_cron( $pre, $timestamp, $schedule, $hook, $args = array(), $group = '', $priority = 10, $unique = null ) {
		if ( ! $this->takes( $pre, $group ) ) {
			return $pre;
		}
		$unique = $unique ?? self::unique_from_caller( 'as_schedule_cron_action', 5 );
		return $this->answer( $this->api->schedule_cron( 'as_schedule_cron_action', $timestamp, $schedule, $hook, $args, $group, $unique, $priority ) );
	}

	/**
	 * Whether this call is ours: nobody answered yet, the bridge is configured
	 * (an unconfigured bridge must not swallow work), and the group is routed.
	 *
	 * @param mixed $pre   Filter value so far.
	 * @param mixed $group Action group.
	 */
	private function takes( $pre, $group ): bool {
		return null === $pre
			&& ! ( $this->store_in_charge )()
			&& $this->config->is_configured()
			&& $this->config->routes_group( $group );
	}

	/**
	 * The sidecar's id, or 0 when it found a unique twin or failed (already
	 * logged), as Action Scheduler answers. A site may opt into leaving failed
	 * calls to Action Scheduler; that is off by default because the two queues
	 * would then disagree about uniqueness and about what is scheduled.
	 */
	private function answer( int $action_id ): ?int {
		if ( 0 === $action_id && null !== $this->api->last_error() ) {
			/**
			 * Whether a routed call the sidecar could not take is left to Action Scheduler.
			 *
			 * @param bool     $fall_back Default false: the call returns 0.
			 * @param \WP_Error $error     Why the sidecar did not take it.
			 */
			if ( \apply_filters( 'wecoza_sidecar_fall_back_to_action_scheduler', false, $this->api->last_error() ) ) {
				return null;
			}
		}
		return $action_id;
	}

	/**
	 * Action Scheduler 3.8 does not pass $unique to the single, recurring and
	 * cron filters, yet drops the flag if we ignore it: a unique call would
	 * create duplicates in the sidecar. The caller's own argument is still on
	 * the stack, so read it there; absent means the default, false.
	 *
	 * @param string $function Action Scheduler function that applied the filter.
	 * @param int    $position Zero-based position of $unique in its signature.
	 */
	private static function unique_from_caller( string $function, int $position ): bool {
		foreach ( debug_backtrace( 0, 12 ) as $frame ) {
			if ( ! isset( $frame['class'] ) && ( $frame['function'] ?? '' ) === $function ) {
				return (bool) ( $frame['args'][ $position ] ?? false );
			}
		}
		return false;
	}
}
