<?php
/**
 * What Action Scheduler's own rows are ordered by, for merging them with the sidecar's.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use ActionScheduler_Store;
use Throwable;

/**
 * Action Scheduler's `query_actions()` returns ids only; a merge needs each row's sort key too. The
 * DB store's tables give them for a whole page in one query; an id they do not hold (the posts
 * store, while Action Scheduler migrates) is read through the store's API.
 */
final class Local_Sort_Keys {

	/**
	 * @param string[] $ids     Local action ids.
	 * @param string   $orderby date, hook, group or modified.
	 * @return array<string, int|string> Id => key (dates as unix seconds; a zero date is 0).
	 */
	public static function of( array $ids, string $orderby, ActionScheduler_Store $inner ): array {
		global $wpdb;
		$keys = array();
		if ( array() === $ids ) {
			return $keys;
		}
		if ( isset( $wpdb->actionscheduler_actions, $wpdb->actionscheduler_groups ) ) {
			$list = implode( ',', array_map( 'intval', $ids ) );
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table names from $wpdb, ids cast to int.
			$rows = $wpdb->get_results( "SELECT a.action_id, a.hook, a.scheduled_date_gmt, a.last_attempt_gmt, g.slug FROM {$wpdb->actionscheduler_actions} a LEFT JOIN {$wpdb->actionscheduler_groups} g ON g.group_id = a.group_id WHERE a.action_id IN ({$list})", ARRAY_A );
			foreach ( is_array( $rows ) ? $rows : array() as $row ) {
				$keys[ (string) $row['action_id'] ] = match ( $orderby ) {
					'hook'     => (string) $row['hook'],
					'group'    => (string) ( $row['slug'] ?? '' ),
					'modified' => self::seconds( $row['last_attempt_gmt'] ?? null ),
					default    => self::seconds( $row['scheduled_date_gmt'] ?? null ),
				};
			}
		}
		foreach ( $ids as $id ) {
			if ( ! isset( $keys[ (string) $id ] ) ) {
				$keys[ (string) $id ] = self::through_api( (string) $id, $orderby, $inner );
			}
		}
		return $keys;
	}

	/**
	 * The same key for a sidecar row.
	 *
	 * @param array $fields The sidecar's JSON for one action.
	 * @return int|string
	 */
	public static function remote_key( array $fields, string $orderby ) {
		return match ( $orderby ) {
			'hook'     => (string) ( $fields['hook'] ?? '' ),
			'group'    => (string) ( $fields['group'] ?? '' ),
			'modified' => is_string( $fields['last_attempt_gmt'] ?? null ) ? (int) strtotime( $fields['last_attempt_gmt'] ) : 0,
			'none', 'action_id' => 0,
			default    => (int) ( $fields['scheduled_timestamp'] ?? 0 ),
		};
	}

	/**
	 * A MySQL UTC datetime as unix seconds; NULL and the zero date sort first, as 0.
	 *
	 * @param mixed $datetime `Y-m-d H:i:s` in UTC.
	 */
	private static function seconds( $datetime ): int {
		if ( ! is_string( $datetime ) || '' === $datetime || str_starts_with( $datetime, '0000-00-00' ) ) {
			return 0;
		}
		$seconds = strtotime( $datetime . ' UTC' );
		return false === $seconds ? 0 : max( 0, $seconds );
	}

	/**
	 * @return int|string
	 */
	private static function through_api( string $id, string $orderby, ActionScheduler_Store $inner ) {
		try {
			$action = $inner->fetch_action( $id );
			$date   = $action->get_schedule()->get_date();
			return match ( $orderby ) {
				'hook'     => (string) $action->get_hook(),
				'group'    => (string) $action->get_group(),
				// The API has no last-attempt time; the row sorts as never attempted.
				'modified' => 0,
				default    => null === $date ? 0 : $date->getTimestamp(),
			};
		} catch ( Throwable $e ) {
			return in_array( $orderby, array( 'hook', 'group' ), true ) ? '' : 0;
		}
	}
}
