<?php
/**
 * Memory of the deliveries the run endpoint has already accepted.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Remembers each delivery for ten minutes so a captured, validly signed
 * request cannot be replayed inside the timestamp window. A delivery is
 * known by Delivery::replay_key(): (action_id, claim_id) when the sidecar
 * sends a claim id, else (action_id, attempt).
 *
 * Storage choice: one row per delivery in the options table, claimed with
 * `INSERT IGNORE`. The options table's unique key on option_name makes the
 * claim a single atomic statement, so two PHP workers receiving the same
 * delivery at the same moment cannot both win, and no table of our own has
 * to be created and migrated. The obvious alternatives are not atomic:
 * add_option() checks with get_option() and then writes with ON DUPLICATE KEY
 * UPDATE, which succeeds for the second writer too; set_transient() is a
 * get-then-set and, under a persistent object cache, may not even reach the
 * database. Rows are written with autoload off and are never read through
 * get_option(), so they cost nothing on ordinary page loads.
 */
final class Replay_Guard {

	/**
	 * Twice the signature window: a delivery cannot be replayed after its
	 * timestamp is rejected anyway, the margin covers clock skew.
	 */
	public const REMEMBER_SECONDS = 600;

	private const PREFIX = 'wecoza_sidecar_seen_';

	/**
	 * Rows pruned per cron run; bounded so one run never holds a long lock.
	 */
	private const PRUNE_BATCH = 1000;

	public function register(): void {
		\add_action( 'wecoza_sidecar_process_notifications', array( $this, 'forget_expired' ) );
	}

	/**
	 * Records a delivery.
	 *
	 * @param string $key Delivery::replay_key(): digits, letters, `_` and `-` only.
	 * @param int    $now Unix seconds.
	 * @return bool|WP_Error True the first time within the memory window, false for a replay.
	 */
	public function remember( string $key, int $now ) {
		global $wpdb;
		$name    = self::PREFIX . $key;
		$expires = (string) ( $now + self::REMEMBER_SECONDS );

		$inserted = $wpdb->query(
			$wpdb->prepare(
				"INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
				$name,
				$expires
			)
		);
		if ( false === $inserted ) {
			return new WP_Error( 'wecoza_sidecar_replay_store', 'The delivery could not be recorded.', array( 'status' => 500 ) );
		}
		if ( 1 === (int) $inserted ) {
			return true;
		}

		// A row that outlived its window and was not pruned yet may be taken
		// over; the WHERE makes the takeover atomic as well.
		$reclaimed = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->options} SET option_value = %s WHERE option_name = %s AND CAST(option_value AS UNSIGNED) < %d",
				$expires,
				$name,
				$now
			)
		);
		return 1 === (int) $reclaimed;
	}

	/**
	 * Deletes memories whose window has passed. Runs with the every-minute cron event.
	 */
	public function forget_expired(): void {
		global $wpdb;
		$wpdb->query(
			$wpdb->prepare(
				"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND CAST(option_value AS UNSIGNED) < %d LIMIT %d",
				$wpdb->esc_like( self::PREFIX ) . '%',
				time(),
				self::PRUNE_BATCH
			)
		);
	}
}
