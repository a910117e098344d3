<?php
/**
 * Action Scheduler's logger, answering with the sidecar's log lines for the sidecar's actions.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use ActionScheduler_LogEntry;
use ActionScheduler_Logger;
use DateTime;
use WeCoza\Sidecar\Remote_Actions;

/**
 * Chosen through `action_scheduler_logger_class`, wrapping the logger Action Scheduler had chosen
 * (the DB logger, or the hybrid one while it migrates). The sidecar writes its own log lines
 * ("action created", "action started via Sidecar", …), so for a sidecar action this logger reads
 * them from the sidecar and writes nothing: no second "action created" in Action Scheduler's tables.
 */
class Logger extends ActionScheduler_Logger {

	public static string $inner_class = '';

	public static ?Remote_Actions $remote_actions = null;

	protected ActionScheduler_Logger $inner;

	protected Remote_Actions $remote;

	/**
	 * The wrapped logger's callbacks on `action_scheduler_stored_action`, behind their listeners.
	 *
	 * @var array<int, array{0: Lifecycle_Listener, 1: int, 2: int}>
	 */
	private array $stored_listeners = array();

	private bool $stored_hooked = false;

	public function __construct() {
		$class = self::$inner_class;
		if ( '' === $class || ! is_a( $class, ActionScheduler_Logger::class, true ) || is_a( $class, self::class, true ) ) {
			$class = 'ActionScheduler_DBLogger';
		}
		$this->inner  = new $class();
		$this->remote = self::$remote_actions ?? throw new \RuntimeException( 'The WeCoza Sidecar bridge did not set up its logger.' );
	}

	public function inner(): ActionScheduler_Logger {
		return $this->inner;
	}

	/**
	 * @return int|string The entry id; 0 for a sidecar action (its lines are the sidecar's).
	 */
	public function log( $action_id, $message, ?DateTime $date = null ) {
		if ( $this->remote->config()->is_sidecar_id( $action_id ) ) {
			return 0;
		}
		return $this->inner->log( $action_id, $message, $date );
	}

	public function get_entry( $entry_id ) {
		return $this->inner->get_entry( $entry_id );
	}

	/**
	 * @return ActionScheduler_LogEntry[]
	 */
	public function get_logs( $action_id ) {
		if ( ! $this->remote->config()->is_sidecar_id( $action_id ) ) {
			return $this->inner->get_logs( $action_id );
		}
		$lines = $this->remote->logs( (int) $action_id );
		if ( \is_wp_error( $lines ) ) {
			return array();
		}
		$entries = array();
		foreach ( $lines as $line ) {
			if ( is_array( $line ) && isset( $line['message'] ) ) {
				$seconds   = is_string( $line['date_gmt'] ?? null ) ? (int) strtotime( $line['date_gmt'] ) : time();
				$entries[] = new ActionScheduler_LogEntry( $action_id, (string) $line['message'], as_get_datetime_object( $seconds ) );
			}
		}
		return $entries;
	}

	/**
	 * The wrapped logger sets itself up (its tables, its hooks), then each of its hooks on Action
	 * Scheduler's lifecycle actions is put behind a listener that drops sidecar ids. Whatever the
	 * logger class, its callbacks are found where WordPress keeps them.
	 */
	public function init() {
		$this->inner->init();
		global $wp_filter;
		foreach ( is_array( $wp_filter ) ? array_keys( $wp_filter ) : array() as $hook ) {
			if ( ! is_string( $hook ) || ! str_starts_with( $hook, 'action_scheduler_' ) ) {
				continue;
			}
			foreach ( $wp_filter[ $hook ]->callbacks as $priority => $callbacks ) {
				foreach ( $callbacks as $callback ) {
					$function = $callback['function'];
					if ( is_array( $function ) && ( $function[0] ?? null ) === $this->inner ) {
						remove_action( $hook, $function, $priority );
						$listener = new Lifecycle_Listener( $function, $this->remote->config() );
						add_action( $hook, $listener, $priority, $callback['accepted_args'] );
						if ( 'action_scheduler_stored_action' === $hook ) {
							$this->stored_listeners[] = array( $listener, (int) $priority, (int) $callback['accepted_args'] );
							$this->stored_hooked      = true;
						}
					}
				}
			}
		}
	}

	/**
	 * Action Scheduler's migration stops "action created" lines while it copies actions, through
	 * these two: they act on the wrapped logger's (now wrapped) callback.
	 */
	public function hook_stored_action() {
		if ( $this->stored_hooked ) {
			return;
		}
		foreach ( $this->stored_listeners as [ $listener, $priority, $accepted ] ) {
			add_action( 'action_scheduler_stored_action', $listener, $priority, $accepted );
		}
		$this->stored_hooked = true;
	}

	public function unhook_stored_action() {
		foreach ( $this->stored_listeners as [ $listener, $priority ] ) {
			remove_action( 'action_scheduler_stored_action', $listener, $priority );
		}
		$this->stored_hooked = false;
	}

	/**
	 * Whatever else the wrapped logger offers.
	 *
	 * @param string $name      Method.
	 * @param array  $arguments Arguments.
	 * @return mixed
	 */
	public function __call( $name, $arguments ) {
		return $this->inner->$name( ...$arguments );
	}
}
