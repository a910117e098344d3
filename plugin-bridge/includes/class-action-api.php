<?php
/**
 * Action Scheduler's public API, answered by the sidecar.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use DateTimeInterface;
use WP_Error;

/**
 * Maps each as_* call onto its /v1/actions route and each answer back onto
 * the value Action Scheduler 3.8 would return. Failures never escape: they
 * are logged (hook name and error code only, no arguments, which may hold
 * personal data) and turned into Action Scheduler's own error values.
 */
final class Action_Api {

	/**
	 * (caller, error code) pairs already logged in this request: when the
	 * sidecar is down a page may call as_has_scheduled_action() dozens of times.
	 *
	 * @var array<string, true>
	 */
	private array $logged = array();

	/**
	 * Why the latest call failed, null when it succeeded. Lets the routing
	 * filters tell "blocked by a unique twin" (0, no error) from a failure (0).
	 */
	private ?WP_Error $last_error = null;

	public function __construct( private Client $client ) {
	}

	public function last_error(): ?WP_Error {
		return $this->last_error;
	}

	public function is_configured(): bool {
		return $this->client->config()->is_configured();
	}

	/**
	 * @return int Action id; 0 when a unique twin exists or on failure.
	 */
	public function enqueue_async( string $caller, $hook, $args, $group, $unique, $priority ): int {
		return $this->create( $caller, 'async', array(), $hook, $args, $group, $unique, $priority );
	}

	/**
	 * @return int Action id; 0 when a unique twin exists or on failure.
	 */
	public function schedule_single( string $caller, $timestamp, $hook, $args, $group, $unique, $priority ): int {
		$when = self::to_timestamp( $timestamp );
		if ( null === $when ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_bad_timestamp', 'The timestamp cannot be read as a date.', 0 );
		}
		return $this->create( $caller, 'single', array( 'timestamp' => $when ), $hook, $args, $group, $unique, $priority );
	}

	/**
	 * @return int Action id; 0 when a unique twin exists, the interval is invalid, or on failure.
	 */
	public function schedule_recurring( string $caller, $timestamp, $interval_in_seconds, $hook, $args, $group, $unique, $priority ): int {
		// Same acceptance rule as Action Scheduler: 1, '10' and 100.0 pass; 'x' and 1.5 do not,
		// which needs the loose comparison between the value and its integer cast.
		if ( ! is_numeric( $interval_in_seconds ) || (int) $interval_in_seconds != $interval_in_seconds ) {
			$this->last_error = new WP_Error( 'wecoza_sidecar_bad_interval', 'The recurrence interval must be a whole number of seconds.' );
			\_doing_it_wrong(
				\esc_html( $caller ),
				\esc_html__( 'The recurrence interval must be a whole number of seconds.', 'wecoza-sidecar' ),
				'0.1.0'
			);
			return 0;
		}
		$when = self::to_timestamp( $timestamp );
		if ( null === $when ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_bad_timestamp', 'The timestamp cannot be read as a date.', 0 );
		}
		// Action Scheduler turns an empty recurrence into a one-off action.
		if ( 0 === (int) $interval_in_seconds ) {
			return $this->create( $caller, 'single', array( 'timestamp' => $when ), $hook, $args, $group, $unique, $priority );
		}
		$schedule = array(
			'timestamp'           => $when,
			'interval_in_seconds' => (int) $interval_in_seconds,
		);
		return $this->create( $caller, 'recurring', $schedule, $hook, $args, $group, $unique, $priority );
	}

	/**
	 * @return int Action id; 0 when a unique twin exists, the expression is invalid, or on failure.
	 */
	public function schedule_cron( string $caller, $timestamp, $schedule, $hook, $args, $group, $unique, $priority ): int {
		$when = self::to_timestamp( $timestamp );
		if ( null === $when ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_bad_timestamp', 'The timestamp cannot be read as a date.', 0 );
		}
		if ( ! is_string( $schedule ) || '' === trim( $schedule ) ) {
			return $this->create( $caller, 'single', array( 'timestamp' => $when ), $hook, $args, $group, $unique, $priority );
		}
		return $this->create( $caller, 'cron', array( 'timestamp' => $when, 'schedule' => $schedule ), $hook, $args, $group, $unique, $priority );
	}

	/**
	 * @return int|null Id of the canceled action, null when none matched or on failure,
	 *                  0 when the bridge is not configured (Action Scheduler's "not ready").
	 */
	public function unschedule( string $caller, $hook, $args, $group ): ?int {
		if ( ! $this->is_configured() ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_unconfigured', 'The sidecar URL or token is not set.', 0 );
		}
		$answer = $this->call( '/v1/actions/unschedule', $this->match_body( $hook, $args, $group ) );
		if ( \is_wp_error( $answer ) ) {
			return $this->fail( $caller, (string) $hook, $answer, null, null );
		}
		return isset( $answer['action_id'] ) ? (int) $answer['action_id'] : null;
	}

	/**
	 * Returns nothing, as Action Scheduler does; failures are only logged.
	 */
	public function unschedule_all( string $caller, $hook, $args, $group ): void {
		$answer = $this->call( '/v1/actions/unschedule-all', $this->match_body( $hook, $args, $group ) );
		if ( \is_wp_error( $answer ) ) {
			$this->fail( $caller, (string) $hook, $answer, null, null );
		}
	}

	/**
	 * @return int|bool Unix seconds of the next pending run, true when one is
	 *                  running or has no date (async), false when none or on failure.
	 */
	public function next_scheduled( string $caller, $hook, $args, $group ) {
		$answer = $this->call( '/v1/actions/next', $this->match_body( $hook, $args, $group ) );
		if ( \is_wp_error( $answer ) ) {
			return $this->fail( $caller, (string) $hook, $answer, null, false );
		}
		$next = $answer['next'] ?? false;
		if ( is_bool( $next ) ) {
			return $next;
		}
		return is_numeric( $next ) ? (int) $next : false;
	}

	/**
	 * @return bool Whether a pending or running action matches; false on failure.
	 */
	public function has_scheduled( string $caller, $hook, $args, $group ): bool {
		$answer = $this->call( '/v1/actions/has', $this->match_body( $hook, $args, $group ) );
		if ( \is_wp_error( $answer ) ) {
			return $this->fail( $caller, (string) $hook, $answer, null, false );
		}
		return true === ( $answer['scheduled'] ?? false );
	}

	/**
	 * @param array|string $query         as_get_scheduled_actions() arguments.
	 * @param string       $return_format 'ids' or 'int' for a list of ids (numeric strings,
	 *                                    as Action Scheduler returns them), ARRAY_A for
	 *                                    id => field array, anything else (OBJECT) for
	 *                                    id => Scheduled_Action.
	 * @return array Empty on failure.
	 */
	public function get_scheduled( string $caller, $query, $return_format ): array {
		$body = Action_Query::to_body( $query );
		if ( \is_wp_error( $body ) ) {
			return $this->fail( $caller, is_array( $query ) ? (string) ( $query['hook'] ?? '' ) : '', $body, null, array() );
		}

		$answer = $this->call( '/v1/actions/query', $body );
		if ( \is_wp_error( $answer ) ) {
			return $this->fail( $caller, (string) ( $body['hook'] ?? '' ), $answer, null, array() );
		}
		$actions = is_array( $answer['actions'] ?? null ) ? $answer['actions'] : array();

		$result = array();
		foreach ( $actions as $fields ) {
			if ( ! is_array( $fields ) || ! isset( $fields['id'] ) ) {
				continue;
			}
			if ( 'ids' === $return_format || 'int' === $return_format ) {
				$result[] = (string) $fields['id'];
			} elseif ( 'ARRAY_A' === $return_format ) {
				$result[ (int) $fields['id'] ] = $fields;
			} else {
				$result[ (int) $fields['id'] ] = new Scheduled_Action( $fields );
			}
		}
		return $result;
	}

	/**
	 * Action Scheduler's clamp: out-of-range priorities are pulled to 0 or 255, never refused.
	 *
	 * @param mixed $priority Requested priority.
	 */
	public static function clamp_priority( $priority ): int {
		return max( 0, min( 255, (int) $priority ) );
	}

	/**
	 * Unix seconds from what Action Scheduler accepts as a date: a number, a
	 * DateTime, or a date string read in UTC. Null when unreadable.
	 *
	 * @param mixed $value Date-ish value; null means now.
	 */
	public static function to_timestamp( $value ): ?int {
		if ( null === $value ) {
			return time();
		}
		if ( $value instanceof DateTimeInterface ) {
			return $value->getTimestamp();
		}
		if ( is_int( $value ) || is_float( $value ) || ( is_string( $value ) && is_numeric( $value ) ) ) {
			return (int) $value;
		}
		if ( is_string( $value ) && '' !== trim( $value ) ) {
			$parsed = date_create( $value, new \DateTimeZone( 'UTC' ) );
			return false === $parsed ? null : $parsed->getTimestamp();
		}
		return null;
	}

	/**
	 * @param string $type     async, single, recurring or cron.
	 * @param array  $schedule Route-specific fields (timestamp, interval, expression).
	 */
	private function create( string $caller, string $type, array $schedule, $hook, $args, $group, $unique, $priority ): int {
		if ( ! is_array( $args ) ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_bad_args', 'Action arguments must be an array.', 0 );
		}
		$body = $schedule + array(
			'hook'     => (string) $hook,
			'args'     => $args,
			'group'    => (string) $group,
			'unique'   => (bool) $unique,
			'priority' => self::clamp_priority( $priority ),
		);

		$answer = $this->call( '/v1/actions/' . $type, $body );
		if ( \is_wp_error( $answer ) ) {
			return $this->fail( $caller, (string) $hook, $answer, null, 0 );
		}
		if ( ! isset( $answer['action_id'] ) || ! is_numeric( $answer['action_id'] ) ) {
			return $this->fail( $caller, (string) $hook, 'wecoza_sidecar_bad_response', 'The answer has no action_id.', 0 );
		}
		return (int) $answer['action_id'];
	}

	/**
	 * Body for the routes that find actions: `args` null means "any args" and is sent as null.
	 */
	private function match_body( $hook, $args, $group ): array {
		return array(
			'hook'  => (string) $hook,
			'args'  => is_array( $args ) ? $args : null,
			'group' => (string) $group,
		);
	}

	/**
	 * @return array|WP_Error
	 */
	private function call( string $route, array $body ) {
		$this->last_error = null;
		if ( ! $this->is_configured() ) {
			return new WP_Error( 'wecoza_sidecar_unconfigured', 'The sidecar URL or token is not set.' );
		}
		return $this->client->post( $route, $body );
	}

	/**
	 * Logs why a call failed, once per caller and code per request, and returns the error value.
	 *
	 * @param WP_Error|string $error   The failure, or its code when $message is given.
	 * @param string|null     $message Message for a code.
	 * @param mixed           $value   Action Scheduler's error value for the caller.
	 * @return mixed $value.
	 */
	private function fail( string $caller, string $hook, $error, ?string $message, $value ) {
		$this->last_error = $error instanceof WP_Error ? $error : new WP_Error( (string) $error, (string) $message );

		$code    = $this->last_error->get_error_code();
		$message = $this->last_error->get_error_message();
		$key     = $caller . ' ' . $code;
		if ( ! isset( $this->logged[ $key ] ) ) {
			$this->logged[ $key ] = true;
			error_log( sprintf( 'WeCoza Sidecar: %s("%s") failed [%s]: %s', $caller, $hook, $code, $message ) );
		}
		return $value;
	}
}
