<?php
/**
 * Which store an Action Scheduler query reads, and the sidecar's part of it.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use ActionScheduler_Store;
use DateTime;
use InvalidArgumentException;
use WeCoza\Sidecar\Action_Query;
use WeCoza\Sidecar\Config;
use WeCoza\Sidecar\Merged_Query;
use WeCoza\Sidecar\Remote_Actions;

/**
 * `query_actions()` of the bridge's store: Action Scheduler's own tables alone when the query cannot
 * match a sidecar action (a group the sidecar does not hold, an Action Scheduler claim id) or comes
 * from Action Scheduler's cleaner or runner, both stores merged otherwise (Merged_Query).
 */
final class Query_Router {

	/**
	 * Classes whose queries must not see the sidecar: they act on what they find.
	 */
	private const MAINTENANCE_CALLERS = array( 'ActionScheduler_QueueCleaner', 'ActionScheduler_Abstract_QueueRunner' );

	private Config $config;

	public function __construct( private ActionScheduler_Store $inner, private Remote_Actions $remote ) {
		$this->config = $remote->config();
	}

	/**
	 * @param mixed  $query      Action Scheduler's query keys.
	 * @param string $query_type 'select' (ids as strings) or 'count'.
	 * @return array|int
	 */
	public function query( $query, $query_type ) {
		if ( ! in_array( $query_type, array( 'select', 'count' ), true ) ) {
			throw new InvalidArgumentException( 'Invalid value for select or count parameter. Cannot query actions.' );
		}
		$query = is_array( $query ) ? $query : array();
		if ( ! $this->reads_sidecar( $query ) ) {
			return $this->inner->query_actions( $query, $query_type );
		}
		$merged = new Merged_Query(
			fn( array $local_query, string $type ) => $this->inner->query_actions( $local_query, $type ),
			fn( array $remote_query, int $offset, int $limit ) => $this->remote_rows( $remote_query, $offset, $limit ),
			fn( array $ids, string $orderby ) => Local_Sort_Keys::of( $ids, $orderby, $this->inner )
		);
		if ( 'count' === $query_type ) {
			return $merged->count( $query );
		}
		$ids = $merged->select( $query );
		// The list table asks for these rows' log lines next: one call for all of them.
		$this->remote->expect( array_filter( $ids, fn( string $id ): bool => $this->config->is_sidecar_id( $id ) ) );
		return $ids;
	}

	/**
	 * Whether a query needs the sidecar: not for a group it does not hold, not for one of Action
	 * Scheduler's claim ids, not for the queue cleaner or runner, and not while unconfigured.
	 */
	private function reads_sidecar( array $query ): bool {
		if ( ! $this->config->is_configured() ) {
			return false;
		}
		$group = (string) ( $query['group'] ?? '' );
		if ( '' !== $group && ! $this->config->routes_group( $group ) ) {
			return false;
		}
		$claimed = $query['claimed'] ?? null;
		if ( null !== $claimed && ! is_bool( $claimed ) ) {
			return false;
		}
		return ! self::called_by_maintenance();
	}

	/**
	 * Action Scheduler's cleaner deletes, unclaims and fails what its queries find, and its runner
	 * decides about rescheduling from them: they must see Action Scheduler's actions only, or a
	 * batch full of sidecar ids would leave its own actions uncleaned.
	 */
	private static function called_by_maintenance(): bool {
		foreach ( debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS, 8 ) as $frame ) {
			$class = $frame['class'] ?? '';
			if ( '' === $class || self::class === $class || is_a( $class, ActionScheduler_Store::class, true ) ) {
				continue;
			}
			foreach ( self::MAINTENANCE_CALLERS as $maintenance ) {
				if ( is_a( $class, $maintenance, true ) ) {
					return true;
				}
			}
			return false;
		}
		return false;
	}

	/**
	 * Sidecar rows for Merged_Query, with the key the query orders by; null when it does not answer.
	 */
	private function remote_rows( array $query, int $offset, int $limit ): ?array {
		// Action Scheduler's DB store filters on `date` and `modified` only when they are DateTimes.
		foreach ( array( 'date', 'modified' ) as $key ) {
			if ( isset( $query[ $key ] ) && ! $query[ $key ] instanceof DateTime ) {
				unset( $query[ $key ] );
			}
		}
		$body = Action_Query::to_body( $query );
		if ( \is_wp_error( $body ) ) {
			$this->remote->log_failure( 'query_actions', $body );
			return null;
		}
		$body['offset']   = $offset;
		$body['per_page'] = $limit > 0 ? min( $limit, Action_Query::LIST_CAP ) : -1;
		$answer           = $this->remote->query( $body );
		if ( \is_wp_error( $answer ) ) {
			return null;
		}
		$orderby = Merged_Query::orderby( $query );
		return array(
			'rows'  => array_map( static fn( array $fields ): array => array( 'id' => (int) $fields['id'], 'key' => Local_Sort_Keys::remote_key( $fields, $orderby ) ), $answer['actions'] ),
			'total' => $answer['total'],
		);
	}
}
