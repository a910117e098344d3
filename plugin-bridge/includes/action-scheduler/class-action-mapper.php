<?php
/**
 * Between the sidecar's JSON and Action Scheduler's action and schedule classes.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use ActionScheduler;
use ActionScheduler_Action;
use ActionScheduler_CronSchedule;
use ActionScheduler_IntervalSchedule;
use ActionScheduler_NullSchedule;
use ActionScheduler_Schedule;
use ActionScheduler_SimpleSchedule;
use ActionScheduler_Store;
use ActionScheduler_TimezoneHelper;
use DateTime;
use Throwable;

/**
 * Loaded only when Action Scheduler is. A sidecar action becomes the object Action Scheduler's own
 * store would return for the same row: built by Action Scheduler's factory from its status (so
 * pending is an ActionScheduler_Action, canceled an ActionScheduler_CanceledAction, anything else an
 * ActionScheduler_FinishedAction, and the factory's filters apply), with the schedule class of its
 * type, so `get_schedule()->get_date()` and the list table's recurrence column work.
 */
final class Action_Mapper {

	/**
	 * @param array $fields The sidecar's JSON for one action.
	 */
	public static function to_action( array $fields ): ActionScheduler_Action {
		$status = (string) ( $fields['status'] ?? ActionScheduler_Store::STATUS_PENDING );
		$args   = is_array( $fields['args'] ?? null ) ? $fields['args'] : array();
		return ActionScheduler::factory()->get_stored_action(
			$status,
			(string) ( $fields['hook'] ?? '' ),
			$args,
			self::schedule_of( $fields ),
			(string) ( $fields['group'] ?? '' ),
			(int) ( $fields['priority'] ?? 10 )
		);
	}

	public static function schedule_of( array $fields ): ActionScheduler_Schedule {
		$schedule = is_array( $fields['schedule'] ?? null ) ? $fields['schedule'] : array();
		$type     = (string) ( $schedule['type'] ?? 'async' );
		if ( 'async' === $type ) {
			return new ActionScheduler_NullSchedule();
		}
		$date = as_get_datetime_object( (int) ( $schedule['timestamp'] ?? $fields['scheduled_timestamp'] ?? time() ) );
		if ( 'interval' === $type && isset( $schedule['interval'] ) ) {
			return new ActionScheduler_IntervalSchedule( $date, (int) $schedule['interval'] );
		}
		if ( 'cron' === $type && isset( $schedule['cron'] ) ) {
			try {
				return new ActionScheduler_CronSchedule( $date, (string) $schedule['cron'] );
			} catch ( Throwable $e ) {
				// An expression the sidecar reads but Action Scheduler's parser does not: show the date.
				return new ActionScheduler_SimpleSchedule( $date );
			}
		}
		return new ActionScheduler_SimpleSchedule( $date );
	}

	/**
	 * Action Scheduler's `get_date()`: when a pending action is due, when any other last ran (its
	 * due date if it never ran), in the site's timezone.
	 */
	public static function date_of( array $fields ): DateTime {
		$last = $fields['last_attempt_gmt'] ?? null;
		if ( ActionScheduler_Store::STATUS_PENDING !== ( $fields['status'] ?? '' ) && is_string( $last ) && '' !== $last ) {
			$date = as_get_datetime_object( (int) strtotime( $last ) );
		} else {
			$date = as_get_datetime_object( (int) ( $fields['scheduled_timestamp'] ?? time() ) );
		}
		ActionScheduler_TimezoneHelper::set_local_timezone( $date );
		return $date;
	}

	/**
	 * The sidecar route and body that create `$action` (`$date` replaces its schedule's first date,
	 * as Action Scheduler's stores read that argument).
	 *
	 * @return array{0: string, 1: array} Route type (async, single, recurring, cron) and body.
	 */
	public static function create_request( ActionScheduler_Action $action, ?DateTime $date, bool $unique ): array {
		$schedule = $action->get_schedule();
		$body     = array(
			'hook'     => (string) $action->get_hook(),
			'args'     => $action->get_args(),
			'group'    => (string) $action->get_group(),
			'unique'   => $unique,
			'priority' => (int) $action->get_priority(),
		);
		$first    = $date ?? $schedule->get_date();
		if ( $schedule instanceof ActionScheduler_NullSchedule || ! $first instanceof DateTime ) {
			return array( 'async', $body );
		}
		$body      = array( 'timestamp' => max( 0, $first->getTimestamp() ) ) + $body;
		$recurrence = $schedule->is_recurring() && method_exists( $schedule, 'get_recurrence' ) ? $schedule->get_recurrence() : null;
		if ( $schedule instanceof ActionScheduler_CronSchedule || ( is_string( $recurrence ) && ! is_numeric( $recurrence ) ) ) {
			return array( 'cron', array( 'schedule' => (string) $recurrence ) + $body );
		}
		if ( is_numeric( $recurrence ) && (int) $recurrence > 0 ) {
			return array( 'recurring', array( 'interval_in_seconds' => (int) $recurrence ) + $body );
		}
		return array( 'single', $body );
	}

	/**
	 * The same, as an item of `POST /v1/actions/batch` (async items keep their enqueue time there).
	 */
	public static function batch_item( ActionScheduler_Action $action, ?DateTime $date ): array {
		[ $type, $body ] = self::create_request( $action, null, false );
		$item            = array( 'type' => $type ) + $body;
		if ( 'async' === $type && null !== $date ) {
			$item['timestamp'] = max( 0, $date->getTimestamp() );
		}
		return $item;
	}
}
