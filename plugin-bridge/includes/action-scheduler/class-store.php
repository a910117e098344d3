<?php
/**
 * Action Scheduler's store, answering for the sidecar's actions beside its own.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use ActionScheduler_Action;
use ActionScheduler_ActionClaim;
use ActionScheduler_NullAction;
use ActionScheduler_Store;
use DateTime;
use InvalidArgumentException;
use RuntimeException;
use WeCoza\Sidecar\Config;
use WeCoza\Sidecar\Remote_Actions;
use WP_Error;

/**
 * Chosen through `action_scheduler_store_class` (Store_Integration), so every caller of Action
 * Scheduler's store — the as_* functions, the queue runner and cleaner, the admin list table,
 * WP-CLI — meets this class. It wraps the store Action Scheduler had chosen (the DB store, or the
 * hybrid store while Action Scheduler migrates off posts), built from that class name.
 *
 * - Actions of routed groups are written to the sidecar; every other write goes to the wrapped store.
 * - An id at or above the sidecar's floor is the sidecar's (Config::is_sidecar_id): per-id calls go
 *   where the action lives. The two id ranges never meet.
 * - Queries read both stores and merge them in the query's order and paging (Merged_Query). A query
 *   that names a group the sidecar does not hold, or a claim id (those are Action Scheduler's),
 *   reads the wrapped store alone, without a call to the sidecar.
 * - Claims, and everything Action Scheduler's queue runner and cleaner do, stay with the wrapped
 *   store: the sidecar runs its own actions. The runner's per-id calls on a sidecar id do nothing, a
 *   delete of one is refused, and the cleaner's queries do not see the sidecar at all.
 */
class Store extends ActionScheduler_Store {

	/**
	 * The class Action Scheduler had chosen before the bridge's filter (set by Store_Integration).
	 */
	public static string $inner_class = '';

	public static ?Remote_Actions $remote_actions = null;

	/**
	 * The one instance (Action Scheduler keeps it as its singleton).
	 */
	private static ?Store $current = null;

	protected ActionScheduler_Store $inner;

	protected Remote_Actions $remote;

	protected Config $config;

	protected Query_Router $queries;

	public function __construct() {
		$class = self::$inner_class;
		if ( '' === $class || ! is_a( $class, ActionScheduler_Store::class, true ) || is_a( $class, self::class, true ) ) {
			$class = 'ActionScheduler_DBStore';
		}
		// Built here, not through ::instance(): that is Action Scheduler's singleton, which is us.
		$this->inner  = new $class();
		$this->remote = self::$remote_actions ?? throw new RuntimeException( 'The WeCoza Sidecar bridge did not set up its store.' );
		$this->config  = $this->remote->config();
		$this->queries = new Query_Router( $this->inner, $this->remote );
		self::$current = $this;
	}

	/**
	 * The store Action Scheduler is using, when it is this one; null before Action Scheduler made
	 * its store, or when another class was chosen.
	 */
	public static function current(): ?Store {
		return self::$current;
	}

	public function inner(): ActionScheduler_Store {
		return $this->inner;
	}

	public function init() {
		$this->inner->init();
	}

	/**
	 * Whatever else the wrapped store offers (set_claim_filter, set_autoincrement, …).
	 *
	 * @param string $name      Method.
	 * @param array  $arguments Arguments.
	 * @return mixed
	 */
	public function __call( $name, $arguments ) {
		return $this->inner->$name( ...$arguments );
	}

	public function is_sidecar_id( $action_id ): bool {
		return $this->config->is_sidecar_id( $action_id );
	}

	/**
	 * @param ActionScheduler_Action $action         Action to save.
	 * @param DateTime|null          $scheduled_date First date, instead of the schedule's.
	 * @return int The id.
	 * @throws RuntimeException When the sidecar did not take a routed action (Action Scheduler's factory turns this into 0).
	 */
	public function save_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		if ( ! $this->routes( $action ) ) {
			return $this->checked_local_id( $this->inner->save_action( $action, $scheduled_date ) );
		}
		return $this->save_to_sidecar( $action, $scheduled_date, false );
	}

	/**
	 * A unique action: for a routed group the sidecar's unique index decides atomically (hook, args
	 * and group among pending and running actions); otherwise the wrapped store does, or, when it has
	 * no unique save (the hybrid store), Action Scheduler's own best-effort check.
	 *
	 * @return int The id, or 0 when a twin exists.
	 */
	public function save_unique_action( ActionScheduler_Action $action, ?DateTime $scheduled_date = null ) {
		if ( $this->routes( $action ) ) {
			return $this->save_to_sidecar( $action, $scheduled_date, true );
		}
		if ( method_exists( $this->inner, 'save_unique_action' ) ) {
			return $this->checked_local_id( $this->inner->save_unique_action( $action, $scheduled_date ) );
		}
		$twin = $this->inner->find_action(
			$action->get_hook(),
			array(
				'args'   => $action->get_args(),
				'status' => self::STATUS_PENDING,
				'group'  => $action->get_group(),
			)
		);
		return null !== $twin ? 0 : $this->checked_local_id( $this->inner->save_action( $action, $scheduled_date ) );
	}

	public function fetch_action( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			return $this->inner->fetch_action( $action_id );
		}
		$fields = $this->remote->find( (int) $action_id );
		if ( ! is_array( $fields ) ) {
			return new ActionScheduler_NullAction();
		}
		return Action_Mapper::to_action( $fields );
	}

	/**
	 * @param array  $query      Action Scheduler's query keys.
	 * @param string $query_type 'select' (ids as strings) or 'count'.
	 * @return array|int
	 */
	public function query_actions( $query = array(), $query_type = 'select' ) {
		return $this->queries->query( $query, $query_type );
	}

	/**
	 * Both stores; the sidecar's part is missing when it does not answer.
	 */
	public function action_counts() {
		$counts = $this->inner->action_counts();
		$remote = $this->remote_counts();
		foreach ( $remote['counts'] ?? array() as $status => $count ) {
			if ( (int) $count > 0 ) {
				$counts[ $status ] = (int) ( $counts[ $status ] ?? 0 ) + (int) $count;
			}
		}
		return $counts;
	}

	/**
	 * Past-due actions of both stores, from the same call as the status counts.
	 */
	public function extra_action_counts() {
		$extra   = array();
		$pastdue = (int) $this->inner->query_actions(
			array(
				'status' => self::STATUS_PENDING,
				'date'   => as_get_datetime_object(),
			),
			'count'
		) + (int) ( $this->remote_counts()['past_due'] ?? 0 );
		if ( $pastdue > 0 ) {
			$extra['past-due'] = $pastdue;
		}
		return apply_filters( 'action_scheduler_extra_action_counts', $extra );
	}

	/**
	 * Whether Action Scheduler's runner has work: its own actions only (the sidecar runs its own).
	 */
	public function has_pending_actions_due() {
		return $this->inner->has_pending_actions_due();
	}

	/**
	 * @throws InvalidArgumentException When the sidecar refuses or cannot be reached (Action Scheduler's
	 *                                  callers catch it: as_unschedule_action() then answers null).
	 */
	public function cancel_action( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			$this->inner->cancel_action( $action_id );
			return;
		}
		$answer = $this->remote->cancel( (int) $action_id );
		if ( \is_wp_error( $answer ) ) {
			throw new InvalidArgumentException( sprintf( 'The WeCoza Sidecar could not cancel action %s: %s', $action_id, $answer->get_error_message() ) );
		}
		do_action( 'action_scheduler_canceled_action', $action_id );
	}

	/**
	 * Every pending action of the hook, in both stores (as_unschedule_all_actions with only a hook).
	 */
	public function cancel_actions_by_hook( $hook ) {
		$this->inner->cancel_actions_by_hook( $hook );
		if ( $this->config->is_configured() ) {
			$this->remote_cancel_all( array( 'hook' => (string) $hook, 'args' => null, 'group' => '' ) );
		}
	}

	public function cancel_actions_by_group( $group ) {
		$this->inner->cancel_actions_by_group( $group );
		if ( $this->config->is_configured() && $this->config->routes_group( $group ) ) {
			$this->remote_cancel_all( array( 'hook' => '', 'args' => null, 'group' => (string) $group ) );
		}
	}

	/**
	 * @throws InvalidArgumentException For a sidecar action: its history is the sidecar's (kept for
	 *                                  its retention period), not deleted from WordPress.
	 */
	public function delete_action( $action_id ) {
		if ( $this->is_sidecar_id( $action_id ) ) {
			throw new InvalidArgumentException( sprintf( 'Action %s lives in the WeCoza Sidecar, which keeps its history; it is not deleted from WordPress.', $action_id ) );
		}
		$this->inner->delete_action( $action_id );
	}

	public function get_date( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			return $this->inner->get_date( $action_id );
		}
		return Action_Mapper::date_of( $this->sidecar_fields( $action_id, 'determine the date of' ) );
	}

	public function get_status( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			return $this->inner->get_status( $action_id );
		}
		return (string) $this->sidecar_fields( $action_id, 'read the status of' )['status'];
	}

	/**
	 * The sidecar's claim is a UUID while the action runs; 0 otherwise, as Action Scheduler's.
	 *
	 * @return int|string
	 */
	public function get_claim_id( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			return $this->inner->get_claim_id( $action_id );
		}
		$fields = $this->remote->find( (int) $action_id );
		return is_array( $fields ) && is_string( $fields['claim_id'] ?? null ) ? $fields['claim_id'] : 0;
	}

	public function stake_claim( $max_actions = 10, ?DateTime $before_date = null, $hooks = array(), $group = '' ) {
		return $this->inner->stake_claim( $max_actions, $before_date, $hooks, $group );
	}

	public function get_claim_count() {
		return $this->inner->get_claim_count();
	}

	public function release_claim( ActionScheduler_ActionClaim $claim ) {
		$this->inner->release_claim( $claim );
	}

	public function find_actions_by_claim_id( $claim_id ) {
		return $this->inner->find_actions_by_claim_id( $claim_id );
	}

	/*
	 * The runner's and cleaner's per-action writes. Only Action Scheduler's own actions reach them
	 * (claims and the cleaner's queries never include the sidecar's); a sidecar id is ignored rather
	 * than written to the wrong table.
	 */

	public function unclaim_action( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			$this->inner->unclaim_action( $action_id );
		}
	}

	public function mark_failure( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			$this->inner->mark_failure( $action_id );
		}
	}

	public function log_execution( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			$this->inner->log_execution( $action_id );
		}
	}

	public function mark_complete( $action_id ) {
		if ( ! $this->is_sidecar_id( $action_id ) ) {
			$this->inner->mark_complete( $action_id );
		}
	}

	public function mark_migrated( $action_id ) {
		$this->inner->mark_migrated( $action_id );
	}

	public function get_status_labels() {
		return $this->inner->get_status_labels();
	}

	private function routes( ActionScheduler_Action $action ): bool {
		return $this->config->is_configured() && $this->config->routes_group( $action->get_group() );
	}

	/**
	 * @throws RuntimeException When the sidecar did not take it.
	 */
	private function save_to_sidecar( ActionScheduler_Action $action, ?DateTime $scheduled_date, bool $unique ): int {
		[ $type, $body ] = Action_Mapper::create_request( $action, $scheduled_date, $unique );
		$answer          = $this->remote->create( $type, $body );
		if ( \is_wp_error( $answer ) ) {
			/** This filter is documented in includes/class-routing.php. */
			if ( apply_filters( 'wecoza_sidecar_fall_back_to_action_scheduler', false, $answer ) ) {
				return $unique ? $this->save_unique_local( $action, $scheduled_date ) : $this->checked_local_id( $this->inner->save_action( $action, $scheduled_date ) );
			}
			// Action Scheduler's words for a store that could not save, so its logs read the same.
			throw new RuntimeException( sprintf( 'Error saving action: %s', $answer->get_error_message() ) );
		}
		if ( $answer > 0 ) {
			if ( ! $this->is_sidecar_id( $answer ) ) {
				error_log( sprintf( 'WeCoza Sidecar: the sidecar gave action id %d, below the bridge\'s floor %d: set WECOZA_SIDECAR_ACTION_ID_FLOOR to the sidecar\'s SIDECAR_ACTION_ID_FLOOR.', $answer, $this->config->action_id_floor() ) );
			}
			do_action( 'action_scheduler_stored_action', $answer );
		}
		return $answer;
	}

	private function save_unique_local( ActionScheduler_Action $action, ?DateTime $scheduled_date ): int {
		return method_exists( $this->inner, 'save_unique_action' )
			? $this->checked_local_id( $this->inner->save_unique_action( $action, $scheduled_date ) )
			: $this->checked_local_id( $this->inner->save_action( $action, $scheduled_date ) );
	}

	/**
	 * Action Scheduler's ids must stay below the sidecar's: an AUTO_INCREMENT raised that far would
	 * make its new actions unreachable through this store, so say so loudly.
	 *
	 * @param mixed $action_id Id from the wrapped store.
	 */
	private function checked_local_id( $action_id ): int {
		if ( $this->is_sidecar_id( $action_id ) ) {
			error_log( sprintf( 'WeCoza Sidecar: Action Scheduler gave action id %s, at or above the sidecar\'s range (%d): its actions and the sidecar\'s can no longer be told apart.', $action_id, $this->config->action_id_floor() ) );
		}
		return (int) $action_id;
	}

	/**
	 * @return array The action's fields.
	 * @throws InvalidArgumentException When the sidecar has no such action or does not answer.
	 */
	private function sidecar_fields( $action_id, string $what ): array {
		$fields = $this->remote->find( (int) $action_id );
		if ( is_array( $fields ) ) {
			return $fields;
		}
		$reason = \is_wp_error( $fields ) ? $fields->get_error_message() : 'no such action';
		throw new InvalidArgumentException( sprintf( 'Unidentified action %s: we were unable to %s this action (%s).', $action_id, $what, $reason ) );
	}

	private function remote_counts(): array {
		if ( ! $this->config->is_configured() ) {
			return array();
		}
		$answer = $this->remote->counts();
		return \is_wp_error( $answer ) ? array() : $answer;
	}

	private function remote_cancel_all( array $body ): void {
		$answer = $this->remote->unschedule_all( $body );
		if ( $answer instanceof WP_Error ) {
			error_log( sprintf( 'WeCoza Sidecar: canceling the sidecar\'s pending actions of %s failed [%s]', '' !== $body['hook'] ? 'hook "' . $body['hook'] . '"' : 'group "' . $body['group'] . '"', $answer->get_error_code() ) );
		}
	}
}
