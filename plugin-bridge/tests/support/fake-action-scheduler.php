<?php
/**
 * A global as_schedule_single_action(), shaped like Action Scheduler 3.8's, so
 * the routing can find the caller's $unique on the call stack in a unit test.
 * The test decides what it does by setting Fake_Action_Scheduler::$single.
 *
 * @package WeCoza\Sidecar\Tests
 */

final class Fake_Action_Scheduler {
	/** @var callable|null */
	public static $single = null;
}

function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return ( Fake_Action_Scheduler::$single )( $timestamp, $hook, $args, $group, $unique, $priority );
}
