<?php
/**
 * The Scheduled Actions list: a core list table over GET /v1/actions, with Action Scheduler's
 * columns.
 *
 * Loaded by Actions_Page only on its own screen, after WP_List_Table.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Per page: one list call, one count call per status for the views, and one logs call per row.
 */
final class Actions_List_Table extends Sidecar_List_Table {

	private const STATUSES = array( 'pending', 'in-progress', 'complete', 'failed', 'canceled' );
	private const ORDER_BY = array( 'hook' => 'hook', 'group' => 'group', 'schedule' => 'date' );

	/**
	 * @var array<string, string>
	 */
	private array $filters;

	/**
	 * @var array<string, int>|null Status => count; null when the counts could not be read.
	 */
	private ?array $counts = null;

	public function __construct( Client $client ) {
		parent::__construct( $client, 'action', 'actions' );
		$read          = static fn( string $key ): string => isset( $_GET[ $key ] ) && is_scalar( $_GET[ $key ] ) ? trim( \sanitize_text_field( \wp_unslash( (string) $_GET[ $key ] ) ) ) : '';
		$status        = $read( 'status' );
		$this->filters = array(
			'status' => in_array( $status, self::STATUSES, true ) ? $status : '',
			'hook'   => mb_substr( $read( 'hook' ), 0, 191 ),
			'group'  => mb_substr( $read( 'group' ), 0, 191 ),
			's'      => mb_substr( $read( 's' ), 0, 191 ),
		);
	}

	public function filter( string $key ): string {
		return $this->filters[ $key ] ?? '';
	}

	public function get_columns(): array {
		return array(
			'hook'     => \__( 'Hook', 'wecoza-sidecar' ),
			'status'   => \__( 'Status', 'wecoza-sidecar' ),
			'args'     => \__( 'Arguments', 'wecoza-sidecar' ),
			'group'    => \__( 'Group', 'wecoza-sidecar' ),
			'recur'    => \__( 'Recurrence', 'wecoza-sidecar' ),
			'schedule' => \__( 'Scheduled Date', 'wecoza-sidecar' ),
			'log'      => \__( 'Log', 'wecoza-sidecar' ),
		);
	}

	protected function get_sortable_columns(): array {
		return array(
			'hook'     => array( 'hook', false ),
			'group'    => array( 'group', false ),
			'schedule' => array( 'schedule', true ),
		);
	}

	protected function get_primary_column_name(): string {
		return 'hook';
	}

	public function prepare_items(): void {
		$this->_column_headers = array( $this->get_columns(), array(), $this->get_sortable_columns(), $this->get_primary_column_name() );
		$orderby               = isset( $_GET['orderby'] ) && is_string( $_GET['orderby'] ) ? ( self::ORDER_BY[ $_GET['orderby'] ] ?? 'date' ) : 'date';
		$order                 = isset( $_GET['order'] ) && 'asc' === strtolower( (string) $_GET['order'] ) ? 'ASC' : 'DESC';
		$query                 = array_filter(
			array(
				'status' => $this->filters['status'],
				'hook'   => $this->filters['hook'],
				'group'  => $this->filters['group'],
				'search' => $this->filters['s'],
			),
			static fn( string $value ): bool => '' !== $value
		) + array(
			'per_page' => Actions_Page::PER_PAGE,
			'offset'   => ( $this->get_pagenum() - 1 ) * Actions_Page::PER_PAGE,
			'orderby'  => $orderby,
			'order'    => $order,
		);
		$this->take_page( $this->client->get( '/v1/actions', $query ), 'actions', Actions_Page::PER_PAGE );
		if ( null !== $this->error ) {
			return;
		}
		$this->attach_logs();
		$this->counts = $this->count_by_status();
	}

	/**
	 * The page's log lines in one `POST /v1/actions/fetch` (not one logs call per row): a row whose
	 * action went away between the two calls shows no logs.
	 */
	private function attach_logs(): void {
		$ids = array_map( static fn( array $item ): int => (int) $item['id'], $this->items );
		if ( array() === $ids ) {
			return;
		}
		$answer = $this->client->post( '/v1/actions/fetch', array( 'ids' => $ids, 'logs' => true ) );
		$logs   = array();
		foreach ( \is_wp_error( $answer ) ? array() : (array) ( $answer['actions'] ?? array() ) as $action ) {
			$logs[ (int) $action['id'] ] = (array) ( $action['logs'] ?? array() );
		}
		foreach ( $this->items as &$item ) {
			$item['logs'] = $logs[ (int) $item['id'] ] ?? array();
		}
		unset( $item );
	}

	/**
	 * Every status's count over all actions, as Action Scheduler's views show them, from one
	 * `GET /v1/actions/counts`.
	 *
	 * @return array<string, int>|null
	 */
	private function count_by_status(): ?array {
		$answer = $this->client->get( '/v1/actions/counts' );
		if ( \is_wp_error( $answer ) ) {
			return null;
		}
		$counts = array();
		foreach ( self::STATUSES as $status ) {
			$counts[ $status ] = (int) ( $answer['counts'][ $status ] ?? 0 );
		}
		return $counts;
	}

	protected function empty_message(): string {
		return \__( 'No actions found.', 'wecoza-sidecar' );
	}

	/**
	 * @return array<string, string>
	 */
	public static function status_labels(): array {
		return array(
			'pending'     => \__( 'Pending', 'wecoza-sidecar' ),
			'in-progress' => \__( 'In-progress', 'wecoza-sidecar' ),
			'complete'    => \__( 'Complete', 'wecoza-sidecar' ),
			'failed'      => \__( 'Failed', 'wecoza-sidecar' ),
			'canceled'    => \__( 'Canceled', 'wecoza-sidecar' ),
		);
	}

	/**
	 * @return array<string, string>
	 */
	protected function get_views(): array {
		if ( null === $this->counts ) {
			return array();
		}
		$base  = Actions_Page::url( array_filter( array( 'hook' => $this->filters['hook'], 'group' => $this->filters['group'], 's' => $this->filters['s'] ) ) );
		$views = array( 'all' => self::view_link( $base, '' === $this->filters['status'], \__( 'All', 'wecoza-sidecar' ), array_sum( $this->counts ) ) );
		foreach ( self::status_labels() as $status => $label ) {
			if ( 0 === $this->counts[ $status ] && $status !== $this->filters['status'] ) {
				continue;
			}
			$views[ $status ] = self::view_link( \add_query_arg( 'status', $status, $base ), $status === $this->filters['status'], $label, $this->counts[ $status ] );
		}
		return $views;
	}

	/**
	 * @param string $which `top` or `bottom`.
	 */
	protected function extra_tablenav( $which ): void {
		if ( 'top' !== $which ) {
			return;
		}
		echo '<div class="alignleft actions">';
		foreach ( array( 'hook' => \__( 'Hook', 'wecoza-sidecar' ), 'group' => \__( 'Group', 'wecoza-sidecar' ) ) as $key => $label ) {
			printf(
				'<label for="wecoza-sidecar-filter-%1$s">%2$s</label> <input type="text" name="%1$s" id="wecoza-sidecar-filter-%1$s" value="%3$s" class="regular-text" style="width:14em"> ',
				\esc_attr( $key ),
				\esc_html( $label ),
				\esc_attr( $this->filters[ $key ] )
			);
		}
		\submit_button( \__( 'Filter', 'wecoza-sidecar' ), '', 'filter_action', false, array( 'id' => 'wecoza-sidecar-actions-filter' ) );
		echo '</div>';
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_hook( $item ): string {
		$id      = (int) $item['id'];
		$status  = (string) ( $item['status'] ?? '' );
		$actions = array();
		if ( 'pending' === $status ) {
			$actions['run']    = sprintf( '<a href="%s">%s</a>', \esc_url( Actions_Page::task_url( 'run', $id ) ), \esc_html__( 'Run', 'wecoza-sidecar' ) );
			$actions['cancel'] = sprintf( '<a href="%s">%s</a>', \esc_url( Actions_Page::task_url( 'cancel', $id ) ), \esc_html__( 'Cancel', 'wecoza-sidecar' ) );
		}
		if ( 'failed' === $status ) {
			$actions['retry'] = sprintf( '<a href="%s">%s</a>', \esc_url( Actions_Page::task_url( 'retry', $id ) ), \esc_html__( 'Retry', 'wecoza-sidecar' ) );
		}
		return sprintf(
			'<strong>%1$s</strong><br><span class="description">%2$s</span>%3$s',
			\esc_html( (string) ( $item['hook'] ?? '' ) ),
			/* translators: %d: action id. */
			\esc_html( sprintf( \__( 'ID %d', 'wecoza-sidecar' ), $id ) ),
			$this->row_actions( $actions )
		);
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_status( $item ): string {
		$labels = self::status_labels();
		$status = (string) ( $item['status'] ?? '' );
		$html   = \esc_html( $labels[ $status ] ?? $status );
		if ( 'failed' === $status && is_string( $item['last_error'] ?? null ) ) {
			$html .= '<br><span class="description">' . \esc_html( Admin_Screen::text_with_addresses( $item['last_error'] ) ) . '</span>';
		}
		return $html;
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_args( $item ): string {
		$args = $item['args'] ?? array();
		if ( array() === $args || null === $args ) {
			return '—';
		}
		return '<code>' . \esc_html( (string) \wp_json_encode( $args, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) ) . '</code>';
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_group( $item ): string {
		$group = (string) ( $item['group'] ?? '' );
		return '' === $group ? '—' : \esc_html( $group );
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_recur( $item ): string {
		$schedule = is_array( $item['schedule'] ?? null ) ? $item['schedule'] : array();
		switch ( $schedule['type'] ?? '' ) {
			case 'interval':
				/* translators: %s: a duration such as "5 mins". */
				return \esc_html( sprintf( \__( 'Every %s', 'wecoza-sidecar' ), \human_time_diff( 0, (int) ( $schedule['interval'] ?? 0 ) ) ) );
			case 'cron':
				return '<code>' . \esc_html( (string) ( $schedule['cron'] ?? '' ) ) . '</code>';
			default:
				return \esc_html__( 'Non-repeating', 'wecoza-sidecar' );
		}
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_schedule( $item ): string {
		$timestamp = (int) ( $item['scheduled_timestamp'] ?? 0 );
		$relative  = $timestamp > time()
			/* translators: %s: a duration. */
			? sprintf( \__( 'in %s', 'wecoza-sidecar' ), \human_time_diff( time(), $timestamp ) )
			/* translators: %s: a duration. */
			: sprintf( \__( '%s ago', 'wecoza-sidecar' ), \human_time_diff( $timestamp, time() ) );
		return \esc_html( Admin_Screen::time( $item['scheduled_date_gmt'] ?? null ) ) . '<br><span class="description">' . \esc_html( $relative ) . '</span>';
	}

	/**
	 * @param array<string, mixed> $item One action.
	 */
	protected function column_log( $item ): string {
		return Action_Log_List::render( (array) ( $item['logs'] ?? array() ) );
	}
}
