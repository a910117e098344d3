<?php
/**
 * The sidecar's actions as Action Scheduler's store needs them, with a per-request cache.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * Every read the bridge's store makes of the sidecar goes through here, so one PHP request asks
 * the sidecar each thing once. A page of Action Scheduler's list table costs three calls however
 * many sidecar rows it shows: the page (its count and its rows are one query), the log lines of
 * all its rows (one `/fetch`), and the status counts. Any write forgets everything: after it the
 * next read asks again.
 *
 * Answers also expire after a few seconds, for long requests (WP-CLI, Action Scheduler's queue
 * runner) that would otherwise keep reading a stale view.
 */
final class Remote_Actions {

	/**
	 * Seconds an answer is reused for.
	 */
	public const TTL = 10;

	/**
	 * The sidecar's `/v1/actions/{id}/run` waits up to 30 s for the outcome.
	 */
	private const RUN_TIMEOUT = 35;

	/**
	 * @var array<string, array{at: float, answer: array}> Query body (JSON) => answer.
	 */
	private array $queries = array();

	/**
	 * @var array<int, array{at: float, fields: array|null}> Id => the sidecar's fields, null for "no such action".
	 */
	private array $actions = array();

	/**
	 * @var array<int, array{at: float, lines: array}> Id => log lines, oldest first.
	 */
	private array $logs = array();

	private ?array $counts = null;

	private float $counts_at = 0.0;

	/**
	 * Ids of the rows just listed: the first log lines asked for fetch theirs too.
	 *
	 * @var int[]
	 */
	private array $expected = array();

	/**
	 * (route, error code) pairs already written to the error log this request.
	 *
	 * @var array<string, true>
	 */
	private array $logged = array();

	/**
	 * Set when a read found the sidecar unreachable: the rest of the request's reads answer with it at
	 * once, so a hung sidecar costs a page one timeout, not one per query. Writes still try.
	 */
	private ?WP_Error $unreachable = null;

	/**
	 * @var callable(): float
	 */
	private $clock;

	/**
	 * @param callable|null $clock Seconds (float); injectable for tests.
	 */
	public function __construct( private Client $client, ?callable $clock = null ) {
		$this->clock = $clock ?? static fn(): float => microtime( true );
	}

	public function register(): void {
		\add_action( 'wecoza_sidecar_flush_cache', array( $this, 'forget' ) );
	}

	public function config(): Config {
		return $this->client->config();
	}

	/**
	 * Forgets every answer (after a write, or when another process may have changed the sidecar).
	 */
	public function forget(): void {
		$this->queries  = array();
		$this->actions  = array();
		$this->logs     = array();
		$this->counts   = null;
		$this->expected = array();
	}

	/**
	 * `POST /v1/actions/query`: `{actions, total}`. The actions are remembered one by one too.
	 *
	 * @param array $body Sidecar query body.
	 * @return array|WP_Error
	 */
	public function query( array $body ) {
		$key = (string) \wp_json_encode( $body );
		if ( isset( $this->queries[ $key ] ) && $this->fresh( $this->queries[ $key ]['at'] ) ) {
			return $this->queries[ $key ]['answer'];
		}
		$answer = $this->call( 'POST', '/v1/actions/query', $body );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		$answer = array(
			'actions' => is_array( $answer['actions'] ?? null ) ? array_values( array_filter( $answer['actions'], 'is_array' ) ) : array(),
			'total'   => (int) ( $answer['total'] ?? 0 ),
		);
		$this->queries[ $key ] = array(
			'at'     => $this->now(),
			'answer' => $answer,
		);
		foreach ( $answer['actions'] as $fields ) {
			$this->remember( $fields );
		}
		return $answer;
	}

	/**
	 * One action's fields; null when the sidecar has no such action.
	 *
	 * @return array|null|WP_Error
	 */
	public function find( int $id ) {
		if ( isset( $this->actions[ $id ] ) && $this->fresh( $this->actions[ $id ]['at'] ) ) {
			return $this->actions[ $id ]['fields'];
		}
		if ( in_array( $id, $this->expected, true ) ) {
			$fetched = $this->fetch_expected( $id, false );
			if ( \is_wp_error( $fetched ) ) {
				return $fetched;
			}
			return $this->actions[ $id ]['fields'] ?? null;
		}
		$answer = $this->call( 'GET', '/v1/actions/' . $id, null, array( 404 ) );
		if ( \is_wp_error( $answer ) ) {
			if ( 404 === self::status_of( $answer ) ) {
				$this->actions[ $id ] = array(
					'at'     => $this->now(),
					'fields' => null,
				);
				return null;
			}
			return $answer;
		}
		$this->remember( $answer );
		return $answer;
	}

	/**
	 * An action's log lines (`{id, message, date_gmt}`, oldest first); empty for an unknown action.
	 * The rows just listed get theirs in the same call.
	 *
	 * @return array|WP_Error
	 */
	public function logs( int $id ) {
		if ( isset( $this->logs[ $id ] ) && $this->fresh( $this->logs[ $id ]['at'] ) ) {
			return $this->logs[ $id ]['lines'];
		}
		$fetched = $this->fetch_expected( $id, true );
		if ( \is_wp_error( $fetched ) ) {
			return $fetched;
		}
		return $this->logs[ $id ]['lines'] ?? array();
	}

	/**
	 * The rows of the page being shown: when one of them needs more than the list gave (its log
	 * lines), all of them get it in one call.
	 *
	 * @param int[] $ids Sidecar action ids.
	 */
	public function expect( array $ids ): void {
		$this->expected = array_slice( array_values( array_unique( array_map( 'intval', $ids ) ) ), 0, 100 );
	}

	/**
	 * `GET /v1/actions/counts`: `{counts: {status: n}, past_due: n}`.
	 *
	 * @return array|WP_Error
	 */
	public function counts() {
		if ( null !== $this->counts && $this->fresh( $this->counts_at ) ) {
			return $this->counts;
		}
		$answer = $this->call( 'GET', '/v1/actions/counts' );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		$this->counts    = $answer;
		$this->counts_at = $this->now();
		return $answer;
	}

	/**
	 * Creates one action (`async`, `single`, `recurring` or `cron`).
	 *
	 * @return int|WP_Error The new id, or 0 when a unique twin blocked it.
	 */
	public function create( string $type, array $body ) {
		$answer = $this->write( 'POST', '/v1/actions/' . $type, $body );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		if ( ! isset( $answer['action_id'] ) || ! is_numeric( $answer['action_id'] ) ) {
			return new WP_Error( 'wecoza_sidecar_bad_response', 'The answer has no action_id.' );
		}
		return (int) $answer['action_id'];
	}

	/**
	 * Up to 1,000 actions in one statement (`POST /v1/actions/batch`).
	 *
	 * @param array $items Batch items.
	 * @return array|WP_Error One `{action_id, existing_action_id?}` per item, in order.
	 */
	public function batch( array $items, int $timeout = 30 ) {
		$answer = $this->write( 'POST', '/v1/actions/batch', array( 'actions' => $items ), array( 'timeout' => $timeout ) );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		return is_array( $answer['results'] ?? null ) ? $answer['results'] : new WP_Error( 'wecoza_sidecar_bad_response', 'The answer has no results.' );
	}

	/**
	 * @return array|WP_Error The action as it is now (canceled).
	 */
	public function cancel( int $id ) {
		return $this->write( 'POST', '/v1/actions/' . $id . '/cancel' );
	}

	/**
	 * Runs a pending action now, through the sidecar's runner.
	 *
	 * @return array|WP_Error The action as it ended (or still running after 30 s).
	 */
	public function run( int $id ) {
		return $this->write( 'POST', '/v1/actions/' . $id . '/run', array(), array( 'timeout' => self::RUN_TIMEOUT ) );
	}

	/**
	 * @param array $body `{hook, args, group}` as `/v1/actions/unschedule-all` takes it.
	 * @return int|WP_Error How many were canceled.
	 */
	public function unschedule_all( array $body ) {
		$answer = $this->write( 'POST', '/v1/actions/unschedule-all', $body );
		return \is_wp_error( $answer ) ? $answer : (int) ( $answer['canceled'] ?? 0 );
	}

	/**
	 * Writes the failure to the error log once per route and code per request: a page that lists
	 * actions while the sidecar is down would otherwise write a line per row. Never the body.
	 */
	public function log_failure( string $what, WP_Error $error ): void {
		$key = $what . ' ' . $error->get_error_code();
		if ( isset( $this->logged[ $key ] ) ) {
			return;
		}
		$this->logged[ $key ] = true;
		error_log( sprintf( 'WeCoza Sidecar: %s failed [%s]: %s', $what, $error->get_error_code(), $error->get_error_message() ) );
	}

	/**
	 * `/fetch` for `$id` and the rows expected next.
	 *
	 * @return true|WP_Error
	 */
	private function fetch_expected( int $id, bool $with_logs ) {
		$ids = array_values( array_unique( array_merge( array( $id ), $this->expected ) ) );
		if ( $with_logs ) {
			$ids = array_values( array_filter( $ids, fn( int $candidate ): bool => $candidate === $id || ! isset( $this->logs[ $candidate ] ) ) );
		}
		$answer = $this->call( 'POST', '/v1/actions/fetch', array( 'ids' => array_slice( $ids, 0, 100 ), 'logs' => $with_logs ) );
		if ( \is_wp_error( $answer ) ) {
			return $answer;
		}
		$now   = $this->now();
		$found = array();
		foreach ( is_array( $answer['actions'] ?? null ) ? $answer['actions'] : array() as $fields ) {
			if ( ! is_array( $fields ) || ! isset( $fields['id'] ) ) {
				continue;
			}
			$found[ (int) $fields['id'] ] = true;
			if ( $with_logs ) {
				$this->logs[ (int) $fields['id'] ] = array(
					'at'    => $now,
					'lines' => is_array( $fields['logs'] ?? null ) ? $fields['logs'] : array(),
				);
			}
			unset( $fields['logs'] );
			$this->remember( $fields );
		}
		foreach ( $ids as $asked ) {
			if ( ! isset( $found[ $asked ] ) ) {
				$this->actions[ $asked ] = array(
					'at'     => $now,
					'fields' => null,
				);
				if ( $with_logs ) {
					$this->logs[ $asked ] = array(
						'at'    => $now,
						'lines' => array(),
					);
				}
			}
		}
		return true;
	}

	private function remember( array $fields ): void {
		if ( isset( $fields['id'] ) ) {
			$this->actions[ (int) $fields['id'] ] = array(
				'at'     => $this->now(),
				'fields' => $fields,
			);
		}
	}

	/**
	 * A call that changes something: everything cached may be stale after it, even when it failed
	 * (a timed-out write may have landed).
	 *
	 * @return array|WP_Error
	 */
	private function write( string $method, string $path, ?array $body = null, array $options = array() ) {
		$this->forget();
		return $this->call( $method, $path, $body, array(), $options, false );
	}

	/**
	 * @param int[] $quiet Statuses that are an answer, not a failure worth logging.
	 * @return array|WP_Error
	 */
	private function call( string $method, string $path, ?array $body = null, array $quiet = array(), array $options = array(), bool $read = true ) {
		if ( ! $this->client->config()->is_configured() ) {
			return new WP_Error( 'wecoza_sidecar_unconfigured', 'The sidecar URL or token is not set.' );
		}
		if ( $read && null !== $this->unreachable ) {
			return $this->unreachable;
		}
		$answer = 'GET' === $method ? $this->client->get( $path, array(), $options ) : $this->client->request( $method, $path, $body ?? array(), $options );
		if ( \is_wp_error( $answer ) && ! in_array( self::status_of( $answer ), $quiet, true ) ) {
			$this->log_failure( $method . ' ' . (string) preg_replace( '#/\d+#', '/{id}', $path ), $answer );
		}
		if ( $read && \is_wp_error( $answer ) && 'wecoza_sidecar_unreachable' === $answer->get_error_code() ) {
			$this->unreachable = $answer;
		}
		return $answer;
	}

	private static function status_of( WP_Error $error ): int {
		$data = $error->get_error_data();
		return is_array( $data ) ? (int) ( $data['status'] ?? 0 ) : 0;
	}

	private function fresh( float $at ): bool {
		return $this->now() - $at < self::TTL;
	}

	private function now(): float {
		return ( $this->clock )();
	}
}
