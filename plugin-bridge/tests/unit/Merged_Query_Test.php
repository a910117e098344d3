<?php
/**
 * The merge and paging of one query over Action Scheduler's store and the sidecar.
 *
 * Random data sets with a fixed seed (PHPUnit 9 on Debian has no property-testing library, and the
 * cases are cheap enough to run many): every page of the merged query must be the slice of the one
 * order a single table would give, and the count the sum of both stores.
 *
 * @package WeCoza\Sidecar\Tests
 */

namespace WeCoza\Sidecar\Tests;

use PHPUnit\Framework\TestCase;
use WeCoza\Sidecar\Merged_Query;

final class Merged_Query_Test extends TestCase {

	private const FLOOR = 1000000000000000;

	/**
	 * @var array<int, array<string, mixed>> Local rows in the order they were created.
	 */
	private array $local_rows = array();

	/**
	 * @var array<int, array<string, mixed>> Sidecar rows in the order they were created.
	 */
	private array $remote_rows = array();

	private bool $remote_up = true;

	/**
	 * Calls the sidecar callable received, for the cache-sharing test.
	 *
	 * @var array<int, array{0: int, 1: int}>
	 */
	private array $remote_calls = array();

	public function test_every_page_of_every_order_is_a_slice_of_the_single_table_order(): void {
		mt_srand( 20261204 );
		foreach ( range( 1, 40 ) as $round ) {
			$this->make_rows( mt_rand( 0, 12 ), mt_rand( 0, 12 ) );
			foreach ( array( 'date', 'hook', 'group', 'modified', 'action_id' ) as $orderby ) {
				foreach ( array( 'ASC', 'DESC' ) as $order ) {
					$expected = $this->single_table_order( $orderby, 'ASC' === $order );
					foreach ( array( 1, 2, 3, 5, 7, 30 ) as $per_page ) {
						$pages = array();
						for ( $offset = 0; $offset <= count( $expected ) + 1; $offset += $per_page ) {
							$query = compact( 'orderby', 'order', 'per_page', 'offset' );
							$page  = $this->merged()->select( $query );
							$this->assertSame( array_slice( $expected, $offset, $per_page ), $page, "round $round, $orderby $order, per_page $per_page, offset $offset" );
							$this->assertSame( count( $expected ), $this->merged()->count( $query ) );
							$pages = array_merge( $pages, $page );
						}
						$this->assertSame( $expected, $pages, 'the pages together are the whole list, each id once' );
					}
					$this->assertSame( $expected, $this->merged()->select( array( 'orderby' => $orderby, 'order' => $order, 'per_page' => -1 ) ) );
				}
			}
		}
	}

	public function test_orderby_none_pages_through_action_schedulers_rows_then_the_sidecars(): void {
		mt_srand( 7 );
		foreach ( range( 1, 30 ) as $round ) {
			$this->make_rows( mt_rand( 0, 9 ), mt_rand( 0, 9 ) );
			$expected = array_merge( array_map( 'strval', array_column( $this->local_rows, 'id' ) ), array_map( 'strval', array_column( $this->remote_rows, 'id' ) ) );
			foreach ( array( 1, 2, 4, 10 ) as $per_page ) {
				for ( $offset = 0; $offset <= count( $expected ) + 2; $offset++ ) {
					$query = array( 'orderby' => 'none', 'per_page' => $per_page, 'offset' => $offset );
					$this->assertSame( array_slice( $expected, $offset, $per_page ), $this->merged()->select( $query ), "round $round, per_page $per_page, offset $offset" );
					$this->assertSame( count( $expected ), $this->merged()->count( $query ) );
				}
			}
		}
	}

	public function test_a_sidecar_that_does_not_answer_leaves_the_local_part_and_its_count(): void {
		$this->make_rows( 4, 6 );
		$this->remote_up = false;

		$ids = $this->merged()->select( array( 'orderby' => 'date', 'per_page' => 10 ) );

		$this->assertCount( 4, $ids );
		foreach ( $ids as $id ) {
			$this->assertLessThan( self::FLOOR, (int) $id );
		}
		$this->assertSame( 4, $this->merged()->count( array( 'per_page' => 10 ) ) );
		$this->assertCount( 4, $this->merged()->select( array( 'orderby' => 'none', 'per_page' => 10 ) ) );
	}

	public function test_a_count_asks_the_sidecar_what_the_page_after_it_asks(): void {
		$this->make_rows( 3, 30 );
		$query = array( 'orderby' => 'date', 'order' => 'DESC', 'per_page' => 20, 'offset' => 20 );

		$this->merged()->count( $query );
		$this->merged()->select( $query );

		$this->assertCount( 2, $this->remote_calls );
		$this->assertSame( $this->remote_calls[0], $this->remote_calls[1] );
		$this->assertSame( array( 0, 40 ), $this->remote_calls[0] );
	}

	public function test_equal_keys_put_the_lower_id_first_ascending_and_last_descending(): void {
		$local  = array( '5' );
		$keys   = array( '5' => 100 );
		$remote = array( array( 'id' => self::FLOOR + 1, 'key' => 100 ) );

		$this->assertSame( array( '5', (string) ( self::FLOOR + 1 ) ), Merged_Query::merge( $local, $keys, $remote, 'date', true, 0 ) );
		$this->assertSame( array( (string) ( self::FLOOR + 1 ), '5' ), Merged_Query::merge( $local, $keys, $remote, 'date', false, 0 ) );
	}

	public function test_hook_names_compare_without_regard_to_case_and_unknown_orderby_means_date(): void {
		$this->assertSame( 0, Merged_Query::compare( 'WeCoza_Hook', 'wecoza_hook' ) );
		$this->assertSame( -1, Merged_Query::compare( 'a_hook', 'B_hook' ) );
		$this->assertSame( 'date', Merged_Query::orderby( array( 'orderby' => 'schedule' ) ) );
		$this->assertSame( 'date', Merged_Query::orderby( array() ) );
		$this->assertSame( 'none', Merged_Query::orderby( array( 'orderby' => 'none' ) ) );
	}

	private function make_rows( int $local, int $remote ): void {
		$hooks             = array( 'alpha', 'Beta', 'gamma', 'delta' );
		$groups            = array( '', 'wecoza-notifications', 'woo' );
		$row               = static fn( int $id ): array => array(
			'id'       => $id,
			// Few distinct values, so that ties between the stores are common.
			'date'     => 1700000000 + 60 * mt_rand( 0, 4 ),
			'hook'     => $hooks[ mt_rand( 0, 3 ) ],
			'group'    => $groups[ mt_rand( 0, 2 ) ],
			'modified' => 0 === mt_rand( 0, 2 ) ? 0 : 1700000000 + mt_rand( 0, 3 ),
		);
		$this->local_rows  = array_map( $row, range( 1, $local ) ?: array() );
		$this->remote_rows = array_map( $row, range( self::FLOOR, self::FLOOR + $remote - 1 ) ?: array() );
		if ( 0 === $local ) {
			$this->local_rows = array();
		}
		if ( 0 === $remote ) {
			$this->remote_rows = array();
		}
		$this->remote_up    = true;
		$this->remote_calls = array();
	}

	/**
	 * What one table holding both stores' rows answers, ordered by (key, id) in the query's direction.
	 *
	 * @return string[]
	 */
	private function single_table_order( string $orderby, bool $ascending ): array {
		$rows = array_merge( $this->local_rows, $this->remote_rows );
		return array_map( static fn( array $row ): string => (string) $row['id'], self::sorted( $rows, $orderby, $ascending ) );
	}

	/**
	 * A store's own order: (key, id), both in the query's direction.
	 */
	private static function sorted( array $rows, string $orderby, bool $ascending ): array {
		usort(
			$rows,
			static function ( array $a, array $b ) use ( $orderby, $ascending ): int {
				$order = 'action_id' === $orderby ? 0 : Merged_Query::compare( $a[ $orderby ], $b[ $orderby ] );
				$order = 0 === $order ? $a['id'] <=> $b['id'] : $order;
				return $ascending ? $order : -$order;
			}
		);
		return $rows;
	}

	private function merged(): Merged_Query {
		$page = static function ( array $rows, array $query ): array {
			$offset   = (int) ( $query['offset'] ?? 0 );
			$per_page = (int) ( $query['per_page'] ?? 5 );
			return array_slice( $rows, $offset, $per_page > 0 ? $per_page : null );
		};
		$order_of = function ( array $rows, array $query ): array {
			$orderby = Merged_Query::orderby( $query );
			return 'none' === $orderby ? $rows : self::sorted( $rows, $orderby, Merged_Query::is_ascending( $query ) );
		};
		return new Merged_Query(
			function ( array $query, string $type ) use ( $page, $order_of ) {
				if ( 'count' === $type ) {
					return (string) count( $this->local_rows );
				}
				return array_map( static fn( array $row ): string => (string) $row['id'], $page( $order_of( $this->local_rows, $query ), $query ) );
			},
			function ( array $query, int $offset, int $limit ) use ( $page, $order_of ) {
				$this->remote_calls[] = array( $offset, $limit );
				if ( ! $this->remote_up ) {
					return null;
				}
				$orderby = Merged_Query::orderby( $query );
				$rows    = $page( $order_of( $this->remote_rows, $query ), array( 'offset' => $offset, 'per_page' => $limit > 0 ? $limit : -1 ) );
				return array(
					'rows'  => array_map(
						static fn( array $row ): array => array(
							'id'  => $row['id'],
							'key' => in_array( $orderby, array( 'none', 'action_id' ), true ) ? 0 : $row[ $orderby ],
						),
						$rows
					),
					'total' => count( $this->remote_rows ),
				);
			},
			function ( array $ids, string $orderby ): array {
				$keys = array();
				foreach ( $this->local_rows as $row ) {
					if ( in_array( (string) $row['id'], $ids, true ) ) {
						$keys[ (string) $row['id'] ] = $row[ $orderby ];
					}
				}
				return $keys;
			}
		);
	}
}
