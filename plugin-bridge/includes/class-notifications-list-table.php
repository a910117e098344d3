<?php
/**
 * The Notifications list: a core list table over GET /v1/notifications.
 *
 * Loaded by Notifications_Page only on its own screen, after WP_List_Table.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * One page of notifications per sidecar call. Filters (state views, operation, class id) and the
 * search are query parameters, so every state of the list is a URL and works without JavaScript.
 */
final class Notifications_List_Table extends Sidecar_List_Table {

	private Notifications_Filter $filter;

	public function __construct( Client $client ) {
		parent::__construct( $client, 'notification', 'notifications' );
		$this->filter = Notifications_Filter::from_request( $_GET );
	}

	/**
	 * The current filter's value for `state`, `operation`, `class_id` or `s`, as text.
	 */
	public function filter( string $key ): string {
		return match ( $key ) {
			'state'     => $this->filter->state,
			'operation' => $this->filter->operation,
			'class_id'  => $this->filter->class_id > 0 ? (string) $this->filter->class_id : '',
			's'         => $this->filter->search,
			default     => '',
		};
	}

	public function get_columns(): array {
		return array(
			'log_id'     => \__( 'Log ID', 'wecoza-sidecar' ),
			'class_code' => \__( 'Class', 'wecoza-sidecar' ),
			'operation'  => \__( 'Operation', 'wecoza-sidecar' ),
			'state'      => \__( 'State', 'wecoza-sidecar' ),
			'ai'         => \__( 'AI summary', 'wecoza-sidecar' ),
			'deliveries' => \__( 'Deliveries', 'wecoza-sidecar' ),
			'times'      => \__( 'Times', 'wecoza-sidecar' ),
		);
	}

	protected function get_primary_column_name(): string {
		return 'log_id';
	}

	public function prepare_items(): void {
		$this->_column_headers = array( $this->get_columns(), array(), array(), $this->get_primary_column_name() );
		$page                  = $this->get_pagenum();
		$query                 = $this->filter->to_query() + array(
			'limit'  => Notifications_Page::PER_PAGE,
			'offset' => ( $page - 1 ) * Notifications_Page::PER_PAGE,
		);
		$this->take_page( $this->client->get( '/v1/notifications', $query ), 'notifications', Notifications_Page::PER_PAGE );
	}

	protected function empty_message(): string {
		return \__( 'No notifications match.', 'wecoza-sidecar' );
	}

	/**
	 * The state views (All, Pending, …, Skipped); the other filters are kept.
	 *
	 * @return array<string, string>
	 */
	protected function get_views(): array {
		$base  = Notifications_Page::url( array_filter( array( 'operation' => $this->filter( 'operation' ), 'class_id' => $this->filter( 'class_id' ), 's' => $this->filter( 's' ) ) ) );
		$views = array( 'all' => self::view_link( \remove_query_arg( 'state', $base ), '' === $this->filter->state, \__( 'All', 'wecoza-sidecar' ) ) );
		foreach ( Notifications_Filter::state_labels() as $state => $label ) {
			$views[ $state ] = self::view_link( \add_query_arg( 'state', $state, $base ), $state === $this->filter->state, $label );
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
		printf( '<label for="wecoza-sidecar-filter-operation" class="screen-reader-text">%s</label>', \esc_html__( 'Filter by operation', 'wecoza-sidecar' ) );
		echo '<select name="operation" id="wecoza-sidecar-filter-operation">';
		printf( '<option value="">%s</option>', \esc_html__( 'All operations', 'wecoza-sidecar' ) );
		$operations = array_unique( array_filter( array( 'INSERT', 'UPDATE', 'DELETE', $this->filter->operation ) ) );
		foreach ( $operations as $operation ) {
			printf( '<option value="%1$s"%2$s>%1$s</option>', \esc_attr( $operation ), \selected( $operation, $this->filter->operation, false ) );
		}
		echo '</select>';
		printf( '<label for="wecoza-sidecar-filter-class">%s</label> ', \esc_html__( 'Class ID', 'wecoza-sidecar' ) );
		printf(
			'<input type="number" min="1" class="small-text" name="class_id" id="wecoza-sidecar-filter-class" value="%s">',
			\esc_attr( $this->filter( 'class_id' ) )
		);
		\submit_button( \__( 'Filter', 'wecoza-sidecar' ), '', 'filter_action', false, array( 'id' => 'wecoza-sidecar-filter-submit' ) );
		echo '</div>';
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_log_id( $item ): string {
		$log_id  = (int) $item['log_id'];
		$actions = array(
			'view' => sprintf( '<a href="%s">%s</a>', \esc_url( Notifications_Page::url( array( 'log_id' => $log_id ) ) ), \esc_html__( 'View', 'wecoza-sidecar' ) ),
		);
		if ( in_array( $item['state'] ?? '', Notifications_Page::REDRIVABLE, true ) ) {
			$actions['redrive'] = sprintf(
				'<a href="%s">%s</a>',
				\esc_url( Notifications_Page::redrive_url( $log_id ) ),
				\esc_html__( 'Redrive', 'wecoza-sidecar' )
			);
		}
		return sprintf(
			'<strong><a class="row-title" href="%1$s">%2$s</a></strong>%3$s',
			\esc_url( Notifications_Page::url( array( 'log_id' => $log_id ) ) ),
			\esc_html( (string) $log_id ),
			$this->row_actions( $actions )
		);
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_class_code( $item ): string {
		$code  = is_string( $item['class_code'] ?? null ) && '' !== $item['class_code'] ? $item['class_code'] : '—';
		$class = null === ( $item['class_id'] ?? null ) ? '' : sprintf(
			/* translators: %d: class id. */
			\__( 'class %d', 'wecoza-sidecar' ),
			(int) $item['class_id']
		);
		return \esc_html( $code ) . ( '' === $class ? '' : '<br><span class="description">' . \esc_html( $class ) . '</span>' );
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_operation( $item ): string {
		return \esc_html( (string) ( $item['operation'] ?? '' ) );
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_state( $item ): string {
		$state  = (string) ( $item['state'] ?? '' );
		$labels = Notifications_Filter::state_labels();
		$html   = '<strong>' . \esc_html( $labels[ $state ] ?? $state ) . '</strong>';
		if ( is_string( $item['reason'] ?? null ) ) {
			$html .= '<br>' . \esc_html( Notifications_Filter::reason_label( $item['reason'] ) );
		}
		return $html;
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_ai( $item ): string {
		$labels = array(
			'pending' => \__( 'pending', 'wecoza-sidecar' ),
			'success' => \__( 'written', 'wecoza-sidecar' ),
			'failed'  => \__( 'not written', 'wecoza-sidecar' ),
		);
		$status = is_string( $item['ai_status'] ?? null ) ? $item['ai_status'] : '';
		return '' === $status ? '—' : \esc_html( $labels[ $status ] ?? $status );
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_deliveries( $item ): string {
		$rows = array_filter( (array) ( $item['recipients'] ?? array() ), 'is_array' );
		if ( array() === $rows ) {
			return '—';
		}
		$lines = array_map(
			static function ( array $delivery ): string {
				$code = null === ( $delivery['smtp_code'] ?? null ) ? '' : ' (SMTP ' . (int) $delivery['smtp_code'] . ')';
				return '<li>' . \esc_html( Admin_Screen::address( (string) ( $delivery['recipient'] ?? '' ) ) . ' — ' . (string) ( $delivery['state'] ?? '' ) . $code ) . '</li>';
			},
			$rows
		);
		return '<ul class="wecoza-sidecar-deliveries">' . implode( '', $lines ) . '</ul>';
	}

	/**
	 * @param array<string, mixed> $item One notification.
	 */
	protected function column_times( $item ): string {
		$lines = array(
			\__( 'Created', 'wecoza-sidecar' )  => $item['created_at'] ?? null,
			\__( 'Finished', 'wecoza-sidecar' ) => $item['finished_at'] ?? null,
		);
		$html = '';
		foreach ( $lines as $label => $iso ) {
			if ( null !== $iso ) {
				$html .= \esc_html( $label . ': ' . Admin_Screen::time( $iso ) ) . '<br>';
			}
		}
		return $html;
	}
}
