<?php
/**
 * Public API: Action Scheduler's functions, answered by the sidecar.
 *
 * The wecoza_sidecar_* functions always exist and always talk to the sidecar.
 * The as_* functions are defined from them only when Action Scheduler is not
 * loaded, so code written for Action Scheduler runs unchanged. Names,
 * parameters, defaults and return values follow Action Scheduler 3.8,
 * including its error values: 0, null, false or array().
 *
 * @package WeCoza\Sidecar
 */

use WeCoza\Sidecar\Plugin;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Queues an action to run as soon as possible.
 *
 * @param string $hook     Hook to run.
 * @param array  $args     Arguments, passed to the callbacks positionally.
 * @param string $group    Group.
 * @param bool   $unique   Refuse when a pending or running twin (hook, args, group) exists.
 * @param int    $priority 0 (first) to 255; clamped.
 * @return int Action id; 0 when blocked by a unique twin or on failure.
 */
function wecoza_sidecar_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$api = Plugin::api();
	return $api ? $api->enqueue_async( __FUNCTION__, $hook, $args, $group, $unique, $priority ) : 0;
}

/**
 * Schedules an action to run once at a time.
 *
 * @param int    $timestamp Unix seconds (a past time runs at once).
 * @param string $hook      Hook to run.
 * @param array  $args      Arguments.
 * @param string $group     Group.
 * @param bool   $unique    Refuse when a pending or running twin exists.
 * @param int    $priority  0–255; clamped.
 * @return int Action id; 0 when blocked or on failure.
 */
function wecoza_sidecar_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$api = Plugin::api();
	return $api ? $api->schedule_single( __FUNCTION__, $timestamp, $hook, $args, $group, $unique, $priority ) : 0;
}

/**
 * Schedules an action to repeat every interval, starting at a time.
 *
 * @param int    $timestamp           First run, unix seconds.
 * @param int    $interval_in_seconds Whole seconds; anything else is refused with a notice.
 * @param string $hook                Hook to run.
 * @param array  $args                Arguments.
 * @param string $group               Group.
 * @param bool   $unique              Refuse when a pending or running twin exists.
 * @param int    $priority            0–255; clamped.
 * @return int Action id; 0 when blocked, invalid or on failure.
 */
function wecoza_sidecar_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$api = Plugin::api();
	return $api ? $api->schedule_recurring( __FUNCTION__, $timestamp, $interval_in_seconds, $hook, $args, $group, $unique, $priority ) : 0;
}

/**
 * Schedules an action on a cron expression, first run at or after a time (UTC).
 *
 * @param int    $timestamp Earliest first run, unix seconds.
 * @param string $schedule  Cron expression; empty makes a one-off action.
 * @param string $hook      Hook to run.
 * @param array  $args      Arguments.
 * @param string $group     Group.
 * @param bool   $unique    Refuse when a pending or running twin exists.
 * @param int    $priority  0–255; clamped.
 * @return int Action id; 0 when blocked, invalid or on failure.
 */
function wecoza_sidecar_schedule_cron_action( $timestamp, $schedule, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	$api = Plugin::api();
	return $api ? $api->schedule_cron( __FUNCTION__, $timestamp, $schedule, $hook, $args, $group, $unique, $priority ) : 0;
}

/**
 * Cancels the earliest pending action that matches.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Exact args; the default [] matches only argless actions, null any.
 * @param string     $group Group; '' for any.
 * @return int|null Canceled action id; null when none matched or on failure; 0 when unconfigured.
 */
function wecoza_sidecar_unschedule_action( $hook, $args = array(), $group = '' ) {
	$api = Plugin::api();
	return $api ? $api->unschedule( __FUNCTION__, $hook, $args, $group ) : 0;
}

/**
 * Cancels every pending action that matches.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Args; empty with only a hook (or only a group) cancels whatever the args.
 * @param string     $group Group.
 * @return void
 */
function wecoza_sidecar_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	$api = Plugin::api();
	if ( $api ) {
		$api->unschedule_all( __FUNCTION__, $hook, $args, $group );
	}
}

/**
 * When the next matching action runs.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Exact args, or null for any.
 * @param string     $group Group; '' for any.
 * @return int|bool Unix seconds; true when one is running or has no date; false when none or on failure.
 */
function wecoza_sidecar_next_scheduled_action( $hook, $args = null, $group = '' ) {
	$api = Plugin::api();
	return $api ? $api->next_scheduled( __FUNCTION__, $hook, $args, $group ) : false;
}

/**
 * Whether a matching action is pending or running.
 *
 * @param string     $hook  Hook.
 * @param array|null $args  Exact args, or null for any.
 * @param string     $group Group; '' for any.
 * @return bool False when none or on failure.
 */
function wecoza_sidecar_has_scheduled_action( $hook, $args = null, $group = '' ) {
	$api = Plugin::api();
	return $api ? $api->has_scheduled( __FUNCTION__, $hook, $args, $group ) : false;
}

/**
 * Finds actions, with every query key of Action Scheduler.
 *
 * @param array  $args          Query: hook, args, group, status, date, per_page (default 5), …
 * @param string $return_format 'ids' (numeric strings), ARRAY_A, or OBJECT (Scheduled_Action objects).
 * @return array Keyed by action id except for 'ids'; empty on failure.
 */
function wecoza_sidecar_get_scheduled_actions( $args = array(), $return_format = OBJECT ) {
	$api = Plugin::api();
	return $api ? $api->get_scheduled( __FUNCTION__, $args, $return_format ) : array();
}

/**
 * Moves the pending actions of routed groups that are still in Action Scheduler's tables to the
 * sidecar now (activation and the every-minute event do it too). Safe to repeat.
 *
 * @return array{moved: int, error: string|null}
 */
function wecoza_sidecar_move_routed_actions() {
	$mover = Plugin::mover();
	return $mover ? $mover->move() : array( 'moved' => 0, 'error' => 'not loaded' );
}

/**
 * Defines the as_* functions when Action Scheduler has not (plugins_loaded, priority 2).
 *
 * Declared inside this function so that they exist only after the check:
 * if Action Scheduler is loaded, its own functions stay in charge and the
 * routing filters decide what reaches the sidecar.
 */
function wecoza_sidecar_define_action_scheduler_functions() {
	if ( function_exists( 'as_enqueue_async_action' ) ) {
		return;
	}
	Plugin::start_mirroring();

	if ( ! function_exists( 'as_enqueue_async_action' ) ) {
		function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return wecoza_sidecar_enqueue_async_action( $hook, $args, $group, $unique, $priority );
		}
	}
	if ( ! function_exists( 'as_schedule_single_action' ) ) {
		function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return wecoza_sidecar_schedule_single_action( $timestamp, $hook, $args, $group, $unique, $priority );
		}
	}
	if ( ! function_exists( 'as_schedule_recurring_action' ) ) {
		function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return wecoza_sidecar_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args, $group, $unique, $priority );
		}
	}
	if ( ! function_exists( 'as_schedule_cron_action' ) ) {
		function as_schedule_cron_action( $timestamp, $schedule, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
			return wecoza_sidecar_schedule_cron_action( $timestamp, $schedule, $hook, $args, $group, $unique, $priority );
		}
	}
	if ( ! function_exists( 'as_unschedule_action' ) ) {
		function as_unschedule_action( $hook, $args = array(), $group = '' ) {
			return wecoza_sidecar_unschedule_action( $hook, $args, $group );
		}
	}
	if ( ! function_exists( 'as_unschedule_all_actions' ) ) {
		function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
			wecoza_sidecar_unschedule_all_actions( $hook, $args, $group );
		}
	}
	if ( ! function_exists( 'as_next_scheduled_action' ) ) {
		function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
			return wecoza_sidecar_next_scheduled_action( $hook, $args, $group );
		}
	}
	if ( ! function_exists( 'as_has_scheduled_action' ) ) {
		function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
			return wecoza_sidecar_has_scheduled_action( $hook, $args, $group );
		}
	}
	if ( ! function_exists( 'as_get_scheduled_actions' ) ) {
		function as_get_scheduled_actions( $args = array(), $return_format = OBJECT ) {
			return wecoza_sidecar_get_scheduled_actions( $args, $return_format );
		}
	}
}
