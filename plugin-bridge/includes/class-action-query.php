<?php
/**
 * as_get_scheduled_actions() arguments, turned into the body of POST /v1/actions/query.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Action Scheduler accepts almost anything in a query and quietly falls back
 * to a default; the sidecar validates strictly and answers 400. This class
 * applies Action Scheduler's fallbacks first, so a query that works against
 * Action Scheduler also works against the sidecar.
 */
final class Action_Query {

	/**
	 * The sidecar's cap for "every match" (per_page -1), see DESIGN.md §4.1.
	 */
	public const LIST_CAP = 10000;

	private const ORDER_BY     = array( 'date', 'hook', 'group', 'modified', 'action_id', 'none' );
	private const DATE_COMPARE = array( '!=', '>', '>=', '<', '<=', '=' );

	/**
	 * @param array|string $query as_get_scheduled_actions() arguments (array or query string).
	 * @return array|WP_Error Body with only the keys the sidecar knows; unknown keys are
	 *                        dropped, as Action Scheduler's store ignores them.
	 */
	public static function to_body( $query ) {
		if ( is_string( $query ) ) {
			parse_str( $query, $query );
		}
		$query = is_array( $query ) ? $query : array();
		$body  = array();

		foreach ( array( 'hook', 'group', 'search' ) as $key ) {
			if ( isset( $query[ $key ] ) && '' !== (string) $query[ $key ] ) {
				$body[ $key ] = (string) $query[ $key ];
			}
		}
		if ( isset( $query['args'] ) && is_array( $query['args'] ) ) {
			$body['args'] = $query['args'];
		}
		if ( isset( $query['partial_args_matching'] ) ) {
			$body['partial_args_matching'] = (string) $query['partial_args_matching'];
		}

		foreach ( array( 'date', 'modified' ) as $key ) {
			if ( ! isset( $query[ $key ] ) ) {
				continue;
			}
			$timestamp = Action_Api::to_timestamp( $query[ $key ] );
			if ( null === $timestamp ) {
				return new WP_Error( 'wecoza_sidecar_bad_timestamp', "The $key value cannot be read as a date." );
			}
			$body[ $key ] = max( 0, $timestamp );
		}
		foreach ( array( 'date_compare', 'modified_compare' ) as $key ) {
			if ( isset( $query[ $key ] ) ) {
				$body[ $key ] = in_array( $query[ $key ], self::DATE_COMPARE, true ) ? $query[ $key ] : '=';
			}
		}

		$statuses = self::statuses( $query['status'] ?? '' );
		if ( array() !== $statuses ) {
			$body['status'] = $statuses;
		}

		if ( array_key_exists( 'claimed', $query ) && null !== $query['claimed'] ) {
			// true/false mean claimed or not; anything else is one claim id, sent as text.
			$body['claimed'] = is_bool( $query['claimed'] ) ? $query['claimed'] : (string) $query['claimed'];
		}
		if ( isset( $query['per_page'] ) ) {
			// Action Scheduler: any value <= 0 removes the limit.
			$per_page         = (int) $query['per_page'];
			$body['per_page'] = $per_page <= 0 ? -1 : min( $per_page, self::LIST_CAP );
		}
		if ( isset( $query['offset'] ) ) {
			$body['offset'] = max( 0, (int) $query['offset'] );
		}
		if ( isset( $query['orderby'] ) ) {
			$body['orderby'] = in_array( $query['orderby'], self::ORDER_BY, true ) ? $query['orderby'] : 'date';
		}
		if ( isset( $query['order'] ) ) {
			$body['order'] = 'ASC' === strtoupper( (string) $query['order'] ) ? 'ASC' : 'DESC';
		}
		return $body;
	}

	/**
	 * A status, a comma-separated list or an array, as a list. Unknown names are
	 * kept: the sidecar refuses them and the caller gets array(), which is also
	 * what Action Scheduler returns for a status nothing has.
	 *
	 * @param mixed $status Requested status filter; empty means every status.
	 * @return string[]
	 */
	private static function statuses( $status ): array {
		$list = is_array( $status ) ? $status : explode( ',', (string) $status );
		$list = array_map( static fn( $item ) => trim( (string) $item ), $list );
		return array_values( array_unique( array_filter( $list, static fn( $item ) => '' !== $item ) ) );
	}
}
