<?php
/**
 * One notification in full: its summary, deliveries with their SMTP replies, and its actions.
 *
 * Loaded by Notifications_Page for its detail view.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Markup only; the page fetches. The AI prompt is never shown (the sidecar does not keep it); the
 * summary is, as WeCoza's dashboards show it. Addresses and SMTP replies (which echo addresses) are
 * masked for anyone but administrators.
 */
final class Notification_Detail {

	/**
	 * @param array<string, mixed>                     $detail  GET /v1/notifications/{log_id}.
	 * @param array<int, array<string, mixed>>|\WP_Error $actions Related actions with their `logs`.
	 */
	public function __construct( private array $detail, private $actions ) {
	}

	public function render(): void {
		$this->render_facts();
		$this->render_summary();
		$this->render_deliveries();
		$this->render_actions();
	}

	private function render_facts(): void {
		$d      = $this->detail;
		$states = Notifications_Filter::state_labels();
		$state  = (string) ( $d['state'] ?? '' );
		$rows   = array(
			\__( 'Class code', 'wecoza-sidecar' )  => is_string( $d['class_code'] ?? null ) ? $d['class_code'] : '—',
			\__( 'Class ID', 'wecoza-sidecar' )    => null === ( $d['class_id'] ?? null ) ? '—' : (string) (int) $d['class_id'],
			\__( 'Operation', 'wecoza-sidecar' )   => (string) ( $d['operation'] ?? '' ),
			\__( 'State', 'wecoza-sidecar' )       => ( $states[ $state ] ?? $state ) . ( is_string( $d['reason'] ?? null ) ? ' — ' . Notifications_Filter::reason_label( $d['reason'] ) : '' ),
			\__( 'Created', 'wecoza-sidecar' )     => Admin_Screen::time( $d['created_at'] ?? null ),
			\__( 'Summarised', 'wecoza-sidecar' )  => Admin_Screen::time( $d['enriched_at'] ?? null ),
			\__( 'Finished', 'wecoza-sidecar' )    => Admin_Screen::time( $d['finished_at'] ?? null ),
			\__( 'Last change', 'wecoza-sidecar' ) => Admin_Screen::time( $d['updated_at'] ?? null ),
		);
		echo '<table class="widefat striped wecoza-sidecar-facts"><tbody>';
		foreach ( $rows as $label => $value ) {
			printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', \esc_html( $label ), \esc_html( $value ) );
		}
		echo '</tbody></table>';
	}

	private function render_summary(): void {
		printf( '<h2>%s</h2>', \esc_html__( 'AI summary', 'wecoza-sidecar' ) );
		$summary = is_array( $this->detail['ai_summary'] ?? null ) ? $this->detail['ai_summary'] : null;
		if ( null === $summary ) {
			printf( '<p>%s</p>', \esc_html__( 'No summary has been requested yet.', 'wecoza-sidecar' ) );
			return;
		}
		$text = is_string( $summary['summary'] ?? null ) ? $summary['summary'] : '';
		if ( '' !== $text ) {
			echo '<div class="card wecoza-sidecar-summary">' . \wp_kses_post( \wpautop( \esc_html( $text ) ) ) . '</div>';
		}
		$rows = array(
			\__( 'Status', 'wecoza-sidecar' )   => (string) ( $summary['status'] ?? '' ),
			\__( 'Error', 'wecoza-sidecar' )    => trim( (string) ( $summary['error_code'] ?? '' ) . ' ' . (string) ( $summary['error_message'] ?? '' ) ),
			\__( 'Model', 'wecoza-sidecar' )    => (string) ( $summary['model'] ?? '' ),
			\__( 'Tokens', 'wecoza-sidecar' )   => (string) (int) ( $summary['tokens_used'] ?? 0 ),
			\__( 'Attempts', 'wecoza-sidecar' ) => (string) (int) ( $summary['attempts'] ?? 0 ),
		);
		echo '<table class="widefat striped"><tbody>';
		foreach ( $rows as $label => $value ) {
			if ( '' !== $value ) {
				printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', \esc_html( $label ), \esc_html( $value ) );
			}
		}
		echo '</tbody></table>';
	}

	private function render_deliveries(): void {
		printf( '<h2>%s</h2>', \esc_html__( 'Deliveries', 'wecoza-sidecar' ) );
		$deliveries = array_filter( (array) ( $this->detail['deliveries'] ?? array() ), 'is_array' );
		if ( array() === $deliveries ) {
			printf( '<p>%s</p>', \esc_html__( 'No e-mail was addressed: nobody is set to receive this operation\'s notifications.', 'wecoza-sidecar' ) );
			return;
		}
		$headings = array(
			\__( 'Recipient', 'wecoza-sidecar' ),
			\__( 'State', 'wecoza-sidecar' ),
			\__( 'Attempts', 'wecoza-sidecar' ),
			\__( 'SMTP code', 'wecoza-sidecar' ),
			\__( 'SMTP reply', 'wecoza-sidecar' ),
			\__( 'Sent', 'wecoza-sidecar' ),
		);
		echo '<table class="widefat striped wecoza-sidecar-deliveries-table"><thead><tr>';
		foreach ( $headings as $heading ) {
			echo '<th scope="col">' . \esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $deliveries as $delivery ) {
			$reply = trim( (string) ( $delivery['smtp_response'] ?? '' ) . ( is_string( $delivery['last_error'] ?? null ) ? ' [' . $delivery['last_error'] . ']' : '' ) );
			printf(
				'<tr><td>%1$s</td><td>%2$s</td><td>%3$d</td><td>%4$s</td><td>%5$s</td><td>%6$s</td></tr>',
				\esc_html( Admin_Screen::address( (string) ( $delivery['recipient'] ?? '' ) ) ),
				\esc_html( (string) ( $delivery['state'] ?? '' ) ),
				(int) ( $delivery['attempts'] ?? 0 ),
				\esc_html( null === ( $delivery['smtp_code'] ?? null ) ? '—' : (string) (int) $delivery['smtp_code'] ),
				\esc_html( '' === $reply ? '—' : Admin_Screen::text_with_addresses( $reply ) ),
				\esc_html( Admin_Screen::time( $delivery['sent_at'] ?? null ) )
			);
		}
		echo '</tbody></table>';
	}

	private function render_actions(): void {
		printf( '<h2>%s</h2>', \esc_html__( 'Actions', 'wecoza-sidecar' ) );
		if ( \is_wp_error( $this->actions ) ) {
			printf( '<p>%s</p>', \esc_html( $this->actions->get_error_message() ) );
			return;
		}
		if ( array() === $this->actions ) {
			printf( '<p>%s</p>', \esc_html__( 'No actions: the sidecar has scheduled nothing for this notification (or they were cleaned up).', 'wecoza-sidecar' ) );
			return;
		}
		$headings = array( \__( 'ID', 'wecoza-sidecar' ), \__( 'Hook', 'wecoza-sidecar' ), \__( 'Status', 'wecoza-sidecar' ), \__( 'Attempts', 'wecoza-sidecar' ), \__( 'Scheduled', 'wecoza-sidecar' ), \__( 'Log', 'wecoza-sidecar' ) );
		echo '<table class="widefat striped wecoza-sidecar-actions-table"><thead><tr>';
		foreach ( $headings as $heading ) {
			echo '<th scope="col">' . \esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $this->actions as $action ) {
			printf(
				'<tr><td>%1$d</td><td><code>%2$s</code></td><td>%3$s</td><td>%4$s</td><td>%5$s</td><td>%6$s</td></tr>',
				(int) ( $action['id'] ?? 0 ),
				\esc_html( (string) ( $action['hook'] ?? '' ) ),
				\esc_html( (string) ( $action['status'] ?? '' ) ),
				\esc_html( (int) ( $action['attempts'] ?? 0 ) . ' / ' . (int) ( $action['max_attempts'] ?? 1 ) ),
				\esc_html( Admin_Screen::time( $action['scheduled_date_gmt'] ?? null ) ),
				Action_Log_List::render( (array) ( $action['logs'] ?? array() ) ) // Escaped inside.
			);
		}
		echo '</tbody></table>';
	}
}
