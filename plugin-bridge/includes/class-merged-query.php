<?php
/**
 * One Action Scheduler query answered from two stores, in the query's order and paging.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Action Scheduler's `query_actions()` over the wrapped store (Action Scheduler's own tables) and the
 * sidecar together, as if they were one table: the same order, and `per_page`/`offset` counted over
 * the merge. Pure logic over three callables, so it is unit-tested without WordPress.
 *
 * An ordered page is the merge of the first `offset + per_page` rows of each store (a two-pointer
 * merge of two lists already sorted by their store); `orderby` none reads Action Scheduler's rows
 * first, then the sidecar's. When the sidecar does not answer, the local rows are the answer:
 * Action Scheduler's error value for the routed part, a working answer for the rest.
 */
final class Merged_Query {

	/**
	 * The most rows read from each store for one page: the sidecar's own cap for one list. A page
	 * deeper than this into a merged, ordered list is cut at the cap.
	 */
	public const WINDOW_CAP = 10000;

	/**
	 * Action Scheduler's default page size.
	 */
	private const DEFAULT_PER_PAGE = 5;

	/**
	 * @var callable(array, string): mixed
	 */
	private $local;

	/**
	 * @var callable(array, int, int): ?array
	 */
	private $remote;

	/**
	 * @var callable(string[], string): array
	 */
	private $local_keys;

	/**
	 * @param callable $local      `(query, 'select'|'count')`: the wrapped store's query_actions (ids as strings, or a count).
	 * @param callable $remote     `(query, offset, limit)`: the sidecar's rows `['rows' => [['id' => int, 'key' => int|string]], 'total' => int]`,
	 *                             limit 0 meaning all; null when the sidecar could not answer.
	 * @param callable $local_keys `(ids, orderby)`: id => the sort key of each local id, for ordered merges.
	 */
	public function __construct( callable $local, callable $remote, callable $local_keys ) {
		$this->local      = $local;
		$this->remote     = $remote;
		$this->local_keys = $local_keys;
	}

	/**
	 * What Action Scheduler's store merges on: its own orderby names, unknown ones meaning `date`.
	 *
	 * @param array $query Action Scheduler query.
	 */
	public static function orderby( array $query ): string {
		$orderby = (string) ( $query['orderby'] ?? 'date' );
		return in_array( $orderby, array( 'hook', 'group', 'modified', 'none', 'action_id' ), true ) ? $orderby : 'date';
	}

	/**
	 * @param array $query Action Scheduler query.
	 */
	public static function is_ascending( array $query ): bool {
		return 'ASC' === strtoupper( (string) ( $query['order'] ?? 'ASC' ) );
	}

	/**
	 * The ids of one page, as Action Scheduler's store returns them (numeric strings).
	 *
	 * @param array $query Action Scheduler query.
	 * @return string[]
	 */
	public function select( array $query ): array {
		[ $offset, $per_page ] = self::paging( $query );
		if ( 'none' === self::orderby( $query ) ) {
			return $this->select_unordered( $query, $offset, $per_page );
		}

		$window = self::window( $offset, $per_page );
		$local  = self::ids( ( $this->local )( array_merge( $query, array( 'offset' => 0, 'per_page' => $window > 0 ? $window : -1 ) ), 'select' ) );
		$remote = ( $this->remote )( $query, 0, $window );
		if ( null === $remote || array() === $remote['rows'] ) {
			return self::page( $local, $offset, $per_page );
		}
		$remote_rows = $remote['rows'];
		if ( array() === $local ) {
			return self::page( self::remote_ids( $remote_rows ), $offset, $per_page );
		}

		$orderby = self::orderby( $query );
		$keys    = 'action_id' === $orderby ? array() : ( $this->local_keys )( $local, $orderby );
		$merged  = self::merge( $local, $keys, $remote_rows, $orderby, self::is_ascending( $query ), $window );
		return self::page( $merged, $offset, $per_page );
	}

	/**
	 * How many actions match in both stores; the sidecar's part is left out when it does not answer.
	 * The sidecar is asked exactly what `select()` of the same query asks it, so a count followed by
	 * the page (Action Scheduler's list table does both) is one call with a per-request cache.
	 *
	 * @param array $query Action Scheduler query.
	 */
	public function count( array $query ): int {
		[ $offset, $per_page ] = self::paging( $query );
		$local                 = (int) ( $this->local )( $query, 'count' );
		if ( 'none' === self::orderby( $query ) ) {
			$local_in_page = max( 0, $local - $offset );
			if ( $per_page > 0 && $local_in_page >= $per_page ) {
				// The page is all local; the sidecar's total is still part of the count.
				$remote = ( $this->remote )( $query, 0, 1 );
			} else {
				$remote = ( $this->remote )( $query, max( 0, $offset - $local ), $per_page > 0 ? $per_page - $local_in_page : 0 );
			}
		} else {
			$remote = ( $this->remote )( $query, 0, self::window( $offset, $per_page ) );
		}
		return $local + ( null === $remote ? 0 : (int) $remote['total'] );
	}

	/**
	 * `orderby` none: Action Scheduler's rows, then the sidecar's, with the offset running through both.
	 *
	 * @return string[]
	 */
	private function select_unordered( array $query, int $offset, int $per_page ): array {
		$local = self::ids( ( $this->local )( array_merge( $query, array( 'offset' => $offset, 'per_page' => $per_page ) ), 'select' ) );
		if ( $per_page > 0 && count( $local ) >= $per_page ) {
			return array_slice( $local, 0, $per_page );
		}
		// With rows on this page, or from the start, the local total is known without counting.
		$local_total = ( array() !== $local || 0 === $offset ) ? $offset + count( $local ) : (int) ( $this->local )( $query, 'count' );
		$remote      = ( $this->remote )( $query, max( 0, $offset - $local_total ), $per_page > 0 ? $per_page - count( $local ) : 0 );
		return null === $remote ? $local : array_merge( $local, self::remote_ids( $remote['rows'] ) );
	}

	/**
	 * Two lists, each already in its store's order, into one. On equal keys the lower id comes first
	 * ascending and the higher one descending, as a single table ordered by (key, id) would answer;
	 * Action Scheduler's ids are always the lower.
	 *
	 * @param string[]                    $local       Local ids in order.
	 * @param array<string, int|string>   $local_keys  Their sort keys.
	 * @param array<int, array>           $remote_rows Sidecar rows in order, each with `id` and `key`.
	 * @param int                         $limit       Rows wanted; 0 for all.
	 * @return string[]
	 */
	public static function merge( array $local, array $local_keys, array $remote_rows, string $orderby, bool $ascending, int $limit ): array {
		$merged = array();
		$i      = 0;
		$j      = 0;
		$n      = count( $local );
		$m      = count( $remote_rows );
		while ( ( $i < $n || $j < $m ) && ( $limit <= 0 || count( $merged ) < $limit ) ) {
			if ( $j >= $m ) {
				$take_local = true;
			} elseif ( $i >= $n ) {
				$take_local = false;
			} else {
				$local_key  = 'action_id' === $orderby ? (int) $local[ $i ] : ( $local_keys[ $local[ $i ] ] ?? self::empty_key( $orderby ) );
				$remote_key = 'action_id' === $orderby ? (int) $remote_rows[ $j ]['id'] : $remote_rows[ $j ]['key'];
				$order      = self::compare( $local_key, $remote_key );
				$take_local = 0 === $order ? $ascending : ( $ascending ? $order < 0 : $order > 0 );
			}
			$merged[] = $take_local ? $local[ $i++ ] : (string) $remote_rows[ $j++ ]['id'];
		}
		return $merged;
	}

	/**
	 * Dates and ids compare as numbers; hook and group names without regard to case, as MySQL's
	 * default collation orders them in Action Scheduler's tables.
	 *
	 * @param int|string $a Key.
	 * @param int|string $b Key.
	 */
	public static function compare( $a, $b ): int {
		if ( is_int( $a ) && is_int( $b ) ) {
			return $a <=> $b;
		}
		return strcasecmp( (string) $a, (string) $b ) <=> 0;
	}

	/**
	 * The key of a row whose key could not be read: the smallest value, as a zero date is.
	 */
	public static function empty_key( string $orderby ) {
		return in_array( $orderby, array( 'hook', 'group' ), true ) ? '' : 0;
	}

	/**
	 * @return array{0: int, 1: int} Offset and page size (0: no limit, as Action Scheduler reads any value <= 0).
	 */
	private static function paging( array $query ): array {
		$per_page = isset( $query['per_page'] ) ? (int) $query['per_page'] : self::DEFAULT_PER_PAGE;
		return array( max( 0, (int) ( $query['offset'] ?? 0 ) ), max( 0, $per_page ) );
	}

	/**
	 * Rows needed from the top of each store for a page: all of them up to the page's end; 0 for a
	 * query without a limit. (The sidecar answers at most WINDOW_CAP rows of a list.)
	 */
	private static function window( int $offset, int $per_page ): int {
		return $per_page > 0 ? $offset + $per_page : 0;
	}

	/**
	 * @param string[] $ids In order.
	 * @return string[]
	 */
	private static function page( array $ids, int $offset, int $per_page ): array {
		return array_values( array_slice( $ids, $offset, $per_page > 0 ? $per_page : null ) );
	}

	/**
	 * @param mixed $answer What the wrapped store returned.
	 * @return string[]
	 */
	private static function ids( $answer ): array {
		return is_array( $answer ) ? array_values( array_map( 'strval', $answer ) ) : array();
	}

	/**
	 * @return string[]
	 */
	private static function remote_ids( array $rows ): array {
		return array_map( static fn( array $row ): string => (string) $row['id'], $rows );
	}
}
