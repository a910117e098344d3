<?php
/**
 * Moves pending actions of routed groups from Action Scheduler's tables into the sidecar.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use ActionScheduler;
use ActionScheduler_Action;
use ActionScheduler_NullAction;
use ActionScheduler_Store;
use WeCoza\Sidecar\Action_Scheduler\Action_Mapper;
use WeCoza\Sidecar\Action_Scheduler\Store;
use WP_Error;

/**
 * Actions queued in Action Scheduler's own tables before the bridge routed their group (before
 * activation, or before the group joined the routed list) would otherwise wait there for Action
 * Scheduler's runner. They move once: the same hook, args, group, priority, date and schedule
 * through the sidecar's batch route, then they are canceled in Action Scheduler with a log line
 * naming the new id.
 *
 * A move is a sequence that can stop anywhere (a PHP fatal, a timeout, the sidecar away), and
 * running it again never makes a second copy:
 *
 * 1. A fresh claim id of Action Scheduler's claims table marks this batch; it and the batch's items
 *    are written to an option (the journal) first.
 * 2. One UPDATE cancels the batch's rows that are still pending and unclaimed, stamping them with
 *    the mark, so Action Scheduler's runner no longer takes them and the batch knows exactly which
 *    rows are its own (a row the runner claimed meanwhile stays with the runner).
 * 3. The marked rows go to the sidecar in one batch call.
 * 4. Each gets its log line; the mark and the journal are removed.
 *
 * Found at the next run, a journal is finished first: marked rows are the batch's; the ones the
 * sidecar already holds (same hook, args, group and date) are not sent again.
 */
final class Routed_Action_Mover {

	public const JOURNAL_OPTION = 'wecoza_sidecar_move_journal';

	/**
	 * The routed groups whose actions were moved last, to notice a group added to the list.
	 */
	public const MOVED_GROUPS_OPTION = 'wecoza_sidecar_moved_groups';

	public const LOCK_NAME = 'wecoza_sidecar_move';

	/**
	 * Fired once to move soon after the routed list grew; the every-minute event retries.
	 */
	public const EVENT = 'wecoza_sidecar_move_routed_actions';

	private const BATCH = 100;

	/**
	 * Seconds one run may spend; the rest waits for the next minute.
	 */
	private const TIME_BUDGET = 20;

	/**
	 * Action Scheduler's own migration stays with Action Scheduler, even with `*` routed.
	 */
	private const NEVER_MOVED = array( 'action-scheduler-migration' );

	public function __construct( private Config $config, private Remote_Actions $remote ) {
	}

	public function register(): void {
		\add_action( self::EVENT, array( $this, 'move' ) );
		\add_action( Cron::EVENT, array( $this, 'move_when_needed' ) );
		\add_action( 'init', array( $this, 'notice_new_groups' ), 20 );
	}

	/**
	 * A routed group that was not moved yet (the option or the constant changed): move soon.
	 * Costs one autoloaded option read per request.
	 */
	public function notice_new_groups(): void {
		if ( class_exists( 'ActionScheduler', false ) && $this->config->is_configured() && array() !== $this->unmoved_groups() && false === \wp_next_scheduled( self::EVENT ) ) {
			\wp_schedule_single_event( time(), self::EVENT );
		}
	}

	public function move_when_needed(): void {
		if ( array() !== $this->unmoved_groups() || false !== \get_option( self::JOURNAL_OPTION, false ) ) {
			$this->move();
		}
	}

	/**
	 * Moves what there is to move, within the time budget.
	 *
	 * @return array{moved: int, error: string|null} How many actions moved in this run.
	 */
	public function move(): array {
		$store = self::local_store();
		if ( null === $store || ! $this->config->is_configured() ) {
			return array( 'moved' => 0, 'error' => null === $store ? 'Action Scheduler is not loaded' : 'not configured' );
		}
		if ( ! $this->lock() ) {
			return array( 'moved' => 0, 'error' => 'another move is running' );
		}
		Store_Integration::load();
		$moved    = 0;
		$deadline = microtime( true ) + self::TIME_BUDGET;
		try {
			$journal = \get_option( self::JOURNAL_OPTION, false );
			if ( is_array( $journal ) ) {
				$finished = $this->finish( $store, $journal );
				if ( \is_wp_error( $finished ) ) {
					return array( 'moved' => 0, 'error' => $finished->get_error_message() );
				}
				$moved += $finished;
			}
			$groups = $this->config->routed_groups();
			while ( microtime( true ) < $deadline ) {
				// Without Action Scheduler's tables there is nothing of theirs to move.
				$ids = self::has_tables() ? $this->candidates( $groups ) : array();
				if ( array() === $ids ) {
					\update_option( self::MOVED_GROUPS_OPTION, self::signature( $groups ), true );
					break;
				}
				$done = $this->move_batch( $store, $ids );
				if ( \is_wp_error( $done ) ) {
					return array( 'moved' => $moved, 'error' => $done->get_error_message() );
				}
				$moved += $done;
				if ( 0 === $done ) {
					// Nothing readable among them (or the runner took them all): look again next minute.
					break;
				}
			}
		} finally {
			$this->unlock();
		}
		return array( 'moved' => $moved, 'error' => null );
	}

	/**
	 * Action Scheduler's own store (the one the bridge wraps, when it does).
	 */
	public static function local_store(): ?ActionScheduler_Store {
		if ( ! class_exists( 'ActionScheduler', false ) ) {
			return null;
		}
		return Store_Integration::in_charge() ? Store::current()->inner() : ActionScheduler::store();
	}

	/**
	 * Routed groups whose pending actions may still sit in Action Scheduler's tables.
	 *
	 * @return string[]
	 */
	private function unmoved_groups(): array {
		$moved = \get_option( self::MOVED_GROUPS_OPTION, '' );
		$moved = is_string( $moved ) && '' !== $moved ? (array) json_decode( $moved, true ) : array();
		if ( in_array( Config::EVERY_GROUP, $moved, true ) ) {
			return array();
		}
		return array_values( array_diff( $this->config->routed_groups(), $moved ) );
	}

	private static function signature( array $groups ): string {
		sort( $groups );
		return (string) \wp_json_encode( array_values( $groups ) );
	}

	/**
	 * Pending, unclaimed ids of routed groups, oldest first, read from Action Scheduler's tables
	 * (group '' is the ungrouped actions; `*` every group but Action Scheduler's own).
	 *
	 * @param string[] $groups Routed groups.
	 * @return string[]
	 */
	private function candidates( array $groups ): array {
		global $wpdb;
		$every  = in_array( Config::EVERY_GROUP, $groups, true );
		$slugs  = $every ? self::NEVER_MOVED : array_values( array_diff( $groups, self::NEVER_MOVED ) );
		if ( array() === $slugs ) {
			return array();
		}
		$marks = implode( ',', array_fill( 0, count( $slugs ), '%s' ) );
		$sql   = "SELECT a.action_id FROM {$wpdb->actionscheduler_actions} a LEFT JOIN {$wpdb->actionscheduler_groups} g ON g.group_id = a.group_id"
			. ' WHERE a.status = %s AND a.claim_id = 0 AND a.action_id < %d AND COALESCE(g.slug, \'\') ' . ( $every ? 'NOT IN' : 'IN' ) . " ({$marks})"
			. ' ORDER BY a.action_id LIMIT %d';
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- table names from $wpdb, values prepared.
		$ids = $wpdb->get_col( $wpdb->prepare( $sql, array_merge( array( ActionScheduler_Store::STATUS_PENDING, $this->config->action_id_floor() ), $slugs, array( self::BATCH ) ) ) );
		return array_map( 'strval', is_array( $ids ) ? $ids : array() );
	}

	/**
	 * Steps 1–4 for one batch.
	 *
	 * @param string[] $ids Candidate ids.
	 * @return int|WP_Error How many moved.
	 */
	private function move_batch( ActionScheduler_Store $store, array $ids ) {
		global $wpdb;
		$items = array();
		foreach ( $ids as $id ) {
			$action = $store->fetch_action( $id );
			if ( $action instanceof ActionScheduler_NullAction || ! $action instanceof ActionScheduler_Action ) {
				continue;
			}
			$items[ $id ] = Action_Mapper::batch_item( $action, $store->get_date( $id ) );
		}
		if ( array() === $items || ! self::has_tables() ) {
			return array() === $items ? 0 : new WP_Error( 'wecoza_sidecar_no_tables', 'Action Scheduler\'s tables are missing: its actions cannot be moved.' );
		}

		$wpdb->insert( $wpdb->actionscheduler_claims, array( 'date_created_gmt' => gmdate( 'Y-m-d H:i:s' ) ) );
		$mark = (int) $wpdb->insert_id;
		if ( $mark <= 0 ) {
			return new WP_Error( 'wecoza_sidecar_no_claim', 'Could not create a claim in Action Scheduler\'s claims table.' );
		}
		$journal = array(
			'mark'  => $mark,
			'items' => $items,
		);
		\update_option( self::JOURNAL_OPTION, $journal, false );

		$list = implode( ',', array_map( 'intval', array_keys( $items ) ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table from $wpdb, ids cast to int.
		$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->actionscheduler_actions} SET status = %s, claim_id = %d WHERE action_id IN ({$list}) AND status = %s AND claim_id = 0", ActionScheduler_Store::STATUS_CANCELED, $mark, ActionScheduler_Store::STATUS_PENDING ) );
		return $this->finish( $store, $journal );
	}

	/**
	 * Steps 3–4 for a journal: the rows its mark stamped go to the sidecar unless it holds them.
	 *
	 * @return int|WP_Error How many moved.
	 */
	private function finish( ActionScheduler_Store $store, array $journal ) {
		global $wpdb;
		$mark  = (int) ( $journal['mark'] ?? 0 );
		$items = is_array( $journal['items'] ?? null ) ? $journal['items'] : array();
		$ours  = self::has_tables() && $mark > 0
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table from $wpdb.
			? array_map( 'strval', (array) $wpdb->get_col( $wpdb->prepare( "SELECT action_id FROM {$wpdb->actionscheduler_actions} WHERE claim_id = %d ORDER BY action_id", $mark ) ) )
			: array();
		$ours  = array_values( array_filter( $ours, static fn( string $id ): bool => isset( $items[ $id ] ) ) );

		$new_ids = array();
		$send    = array();
		foreach ( $ours as $id ) {
			$found = $this->already_moved( $items[ $id ], $new_ids );
			if ( \is_wp_error( $found ) ) {
				return $found;
			}
			if ( null === $found ) {
				$send[] = $id;
			} else {
				$new_ids[ $id ] = $found;
			}
		}
		if ( array() !== $send ) {
			$results = $this->remote->batch( array_map( static fn( string $id ): array => $items[ $id ], $send ) );
			if ( \is_wp_error( $results ) ) {
				// Left marked and journaled: the next run looks in the sidecar before sending again.
				return $results;
			}
			foreach ( $send as $index => $id ) {
				$new_ids[ $id ] = (int) ( $results[ $index ]['action_id'] ?? 0 );
			}
			/**
			 * Fires when the sidecar has taken a batch, before Action Scheduler's rows get their log lines.
			 *
			 * @param array<string, int> $new_ids Action Scheduler id => sidecar id.
			 */
			\do_action( 'wecoza_sidecar_moved_batch', $new_ids );
		}

		$logger = class_exists( 'ActionScheduler', false ) ? ActionScheduler::logger() : null;
		foreach ( $ours as $id ) {
			\do_action( 'action_scheduler_canceled_action', $id );
			$logger?->log( $id, sprintf( 'moved to the WeCoza Sidecar as action %d', $new_ids[ $id ] ) );
		}
		if ( $mark > 0 && self::has_tables() ) {
			$wpdb->update( $wpdb->actionscheduler_actions, array( 'claim_id' => 0 ), array( 'claim_id' => $mark ), array( '%d' ), array( '%d' ) );
			$wpdb->delete( $wpdb->actionscheduler_claims, array( 'claim_id' => $mark ), array( '%d' ) );
		}
		\delete_option( self::JOURNAL_OPTION );
		$this->remote->forget();
		return count( $ours );
	}

	/**
	 * The sidecar's copy of a journaled item, when a run that stopped had sent it: an action with
	 * the same hook, args, group and date that no other row of the journal has taken.
	 *
	 * @param array<string, int> $taken Sidecar ids already matched.
	 * @return int|null|WP_Error
	 */
	private function already_moved( array $item, array $taken ) {
		$query = array(
			'hook'         => $item['hook'],
			'args'         => $item['args'],
			'group'        => $item['group'],
			'status'       => array( 'pending', 'in-progress', 'complete', 'failed', 'canceled' ),
			'per_page'     => -1,
			'orderby'      => 'action_id',
			'order'        => 'ASC',
		);
		if ( isset( $item['timestamp'] ) ) {
			$query['date']         = (int) $item['timestamp'];
			$query['date_compare'] = '=';
		}
		$answer = $this->remote->query( $query );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		foreach ( $answer['actions'] as $fields ) {
			if ( ! in_array( (int) $fields['id'], $taken, true ) ) {
				return (int) $fields['id'];
			}
		}
		return null;
	}

	private static function has_tables(): bool {
		global $wpdb;
		return isset( $wpdb->actionscheduler_actions, $wpdb->actionscheduler_claims );
	}

	/**
	 * One move at a time, through a MySQL named lock: the server releases it when the connection
	 * closes, so a request that died halfway never keeps the next run waiting.
	 */
	private function lock(): bool {
		global $wpdb;
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', self::lock_name() ) );
	}

	private function unlock(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name() ) );
	}

	/**
	 * Per site (database and table prefix), within MySQL's 64 characters.
	 */
	private static function lock_name(): string {
		global $wpdb;
		return self::LOCK_NAME . ':' . md5( DB_NAME . ':' . $wpdb->prefix );
	}
}
