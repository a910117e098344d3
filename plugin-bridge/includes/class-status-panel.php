<?php
/**
 * The sidecar's status panel: a Dashboard widget, and the top of the Notifications page.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Renders GET /v1/status. The call is made on every render, never cached on this side: the panel
 * must say "not reachable" on the first page load after the sidecar stops (the sidecar caches the
 * summary itself for a few seconds, so page views do not become database load there).
 */
final class Status_Panel {

	public const WIDGET_ID = 'wecoza_sidecar_status';

	/**
	 * Seconds: the panel is on the Dashboard, which must not wait long for a sidecar that hangs.
	 */
	private const TIMEOUT = 3;

	public function __construct( private Config $config, private Client $client ) {
	}

	public function register(): void {
		\add_action( 'wp_dashboard_setup', array( $this, 'add_widget' ) );
	}

	public function add_widget(): void {
		if ( ! Admin_Screen::current_user_can_view() ) {
			return;
		}
		\wp_add_dashboard_widget( self::WIDGET_ID, \esc_html__( 'WeCoza Sidecar', 'wecoza-sidecar' ), array( $this, 'render_widget' ) );
	}

	/**
	 * The Dashboard widget's body: its headings sit under the widget's own h2.
	 */
	public function render_widget(): void {
		$this->render( 3 );
		printf(
			'<p><a href="%1$s">%2$s</a></p>',
			\esc_url( Notifications_Page::url() ),
			\esc_html__( 'Open the Notifications page', 'wecoza-sidecar' )
		);
	}

	/**
	 * The panel's markup; `$heading_level` of its section headings.
	 */
	public function render( int $heading_level = 2 ): void {
		$h = 'h' . max( 2, min( 4, $heading_level ) );
		echo '<div class="wecoza-sidecar-status">';
		if ( ! $this->config->is_configured() ) {
			printf(
				'<p><span class="dashicons dashicons-warning" aria-hidden="true"></span> %s</p>',
				\esc_html__( 'Not configured: set the sidecar URL and API token under Settings → WeCoza Sidecar.', 'wecoza-sidecar' )
			);
			echo '</div>';
			return;
		}

		$status = $this->client->get( '/v1/status', array(), array( 'timeout' => self::TIMEOUT ) );
		if ( \is_wp_error( $status ) ) {
			printf(
				'<div class="notice notice-error inline"><p><strong>%1$s</strong> %2$s</p><p><code>%3$s</code></p></div>',
				\esc_html__( 'Sidecar not reachable.', 'wecoza-sidecar' ),
				\esc_html(
					sprintf(
						/* translators: %s: sidecar base URL. */
						\__( 'The sidecar at %s did not answer. Scheduling calls return Action Scheduler\'s error values and notifications wait until it is back.', 'wecoza-sidecar' ),
						$this->config->url()
					)
				),
				\esc_html( $status->get_error_message() )
			);
			$this->render_spool( $h );
			echo '</div>';
			return;
		}

		$this->render_readiness( $status, $h );
		$this->render_numbers( $status, $h );
		$this->render_spool( $h );
		printf(
			'<p class="description">%s</p>',
			\esc_html(
				sprintf(
					/* translators: %s: date and time. */
					\__( 'As reported by the sidecar at %s.', 'wecoza-sidecar' ),
					Admin_Screen::time( $status['generated_at'] ?? null )
				)
			)
		);
		echo '</div>';
	}

	/**
	 * @param array<string, mixed> $status GET /v1/status.
	 */
	private function render_readiness( array $status, string $h ): void {
		$readiness = is_array( $status['readiness'] ?? null ) ? $status['readiness'] : array();
		$overall   = (string) ( $readiness['status'] ?? '' );
		$labels    = array(
			'ready'     => array( 'success', \__( 'Sidecar reachable and ready.', 'wecoza-sidecar' ) ),
			'degraded'  => array( 'warning', \__( 'Sidecar reachable; a check needs attention.', 'wecoza-sidecar' ) ),
			'not_ready' => array( 'error', \__( 'Sidecar reachable but not ready: a check fails.', 'wecoza-sidecar' ) ),
		);
		[ $type, $text ] = $labels[ $overall ] ?? array( 'warning', \__( 'Sidecar reachable; its readiness is unknown.', 'wecoza-sidecar' ) );
		printf( '<div class="notice notice-%1$s inline"><p><strong>%2$s</strong></p></div>', \esc_attr( $type ), \esc_html( $text ) );

		$names = array(
			'database'     => \__( 'Database', 'wecoza-sidecar' ),
			'migrations'   => \__( 'Migrations', 'wecoza-sidecar' ),
			'source_table' => \__( 'WeCoza source table', 'wecoza-sidecar' ),
			'smtp'         => \__( 'SMTP authentication', 'wecoza-sidecar' ),
			'ai'           => \__( 'AI summaries', 'wecoza-sidecar' ),
		);
		$words = array(
			'ok'   => \__( 'OK', 'wecoza-sidecar' ),
			'warn' => \__( 'Warning', 'wecoza-sidecar' ),
			'fail' => \__( 'Failing', 'wecoza-sidecar' ),
		);
		printf( '<%1$s>%2$s</%1$s>', \esc_attr( $h ), \esc_html__( 'Checks', 'wecoza-sidecar' ) );
		echo '<table class="widefat striped"><thead><tr><th scope="col">' . \esc_html__( 'Check', 'wecoza-sidecar' ) . '</th><th scope="col">'
			. \esc_html__( 'Result', 'wecoza-sidecar' ) . '</th><th scope="col">' . \esc_html__( 'Detail', 'wecoza-sidecar' ) . '</th></tr></thead><tbody>';
		foreach ( (array) ( $readiness['checks'] ?? array() ) as $name => $check ) {
			$result = is_array( $check ) ? (string) ( $check['status'] ?? '' ) : '';
			printf(
				'<tr><th scope="row">%1$s</th><td>%2$s</td><td>%3$s</td></tr>',
				\esc_html( $names[ $name ] ?? (string) $name ),
				\esc_html( $words[ $result ] ?? $result ),
				\esc_html( is_array( $check ) ? Admin_Screen::text_with_addresses( (string) ( $check['detail'] ?? '' ) ) : '' )
			);
		}
		echo '</tbody></table>';
	}

	/**
	 * @param array<string, mixed> $status GET /v1/status.
	 */
	private function render_numbers( array $status, string $h ): void {
		$rows    = array();
		$actions = is_array( $status['actions'] ?? null ) ? $status['actions'] : null;
		if ( null !== $actions ) {
			$lower_bound = ! empty( $actions['capped'] ) ? '+' : '';
			$rows[]      = array( \__( 'Pending actions', 'wecoza-sidecar' ), \number_format_i18n( (int) $actions['pending'] ) . $lower_bound );
			$rows[]      = array( \__( 'Past-due actions', 'wecoza-sidecar' ), \number_format_i18n( (int) $actions['past_due'] ) . $lower_bound );
			$rows[]      = array( \__( 'Oldest due action waiting', 'wecoza-sidecar' ), self::duration( (float) $actions['oldest_due_age_seconds'] ) );
		}
		$notifications = is_array( $status['notifications'] ?? null ) ? $status['notifications'] : null;
		if ( null !== $notifications ) {
			$pass   = is_array( $notifications['last_pass'] ?? null ) ? $notifications['last_pass'] : null;
			$rows[] = array(
				\__( 'Last processor pass', 'wecoza-sidecar' ),
				null === $pass
					? \__( 'none yet', 'wecoza-sidecar' )
					: ( ! empty( $pass['running'] )
						/* translators: %s: date and time. */
						? sprintf( \__( 'running since %s', 'wecoza-sidecar' ), Admin_Screen::time( $pass['started_at'] ?? null ) )
						: Admin_Screen::time( $pass['started_at'] ?? null ) ),
			);
			$cursor = is_array( $notifications['cursor'] ?? null ) ? $notifications['cursor'] : null;
			$rows[] = array(
				\__( 'Cursor (last log id seen)', 'wecoza-sidecar' ),
				null === $cursor ? \__( 'not set yet', 'wecoza-sidecar' ) : \number_format_i18n( (int) $cursor['log_id'] ),
			);
			$emails = (array) ( $notifications['emails_last_24h'] ?? array() );
			$rows[] = array( \__( 'E-mails sent (24 h)', 'wecoza-sidecar' ), \number_format_i18n( (int) ( $emails['sent'] ?? 0 ) ) );
			$rows[] = array( \__( 'E-mails failed (24 h)', 'wecoza-sidecar' ), \number_format_i18n( (int) ( $emails['failed'] ?? 0 ) ) );
			if ( ! empty( $notifications['ai_paused_until'] ) ) {
				$rows[] = array( \__( 'AI summaries paused until', 'wecoza-sidecar' ), Admin_Screen::time( $notifications['ai_paused_until'] ) );
			}
			if ( empty( $notifications['enabled'] ) ) {
				$rows[] = array( \__( 'Notifications', 'wecoza-sidecar' ), \__( 'switched off on the sidecar (NOTIFICATIONS_ENABLED=false)', 'wecoza-sidecar' ) );
			}
		}
		if ( array() === $rows ) {
			return;
		}
		printf( '<%1$s>%2$s</%1$s>', \esc_attr( $h ), \esc_html__( 'Queue and notifications', 'wecoza-sidecar' ) );
		echo '<table class="widefat striped"><tbody>';
		foreach ( $rows as [ $label, $value ] ) {
			printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', \esc_html( $label ), \esc_html( $value ) );
		}
		echo '</tbody></table>';
	}

	/**
	 * The spool of enqueues kept in WordPress while the sidecar is away (issue 9, not built yet).
	 * Nothing is shown until the spool answers this filter with its numbers: no placeholder figure.
	 */
	private function render_spool( string $h ): void {
		/**
		 * Filters the spool's state for the status panel: null (the default) shows no spool row.
		 *
		 * @param array{depth: int, oldest_age_seconds: int}|null $spool Depth and the oldest entry's age.
		 */
		$spool = \apply_filters( 'wecoza_sidecar_status_spool', null );
		if ( ! is_array( $spool ) || ! isset( $spool['depth'] ) ) {
			return;
		}
		printf( '<%1$s>%2$s</%1$s>', \esc_attr( $h ), \esc_html__( 'Spool', 'wecoza-sidecar' ) );
		printf(
			'<table class="widefat striped"><tbody><tr><th scope="row">%1$s</th><td>%2$s</td></tr><tr><th scope="row">%3$s</th><td>%4$s</td></tr></tbody></table>',
			\esc_html__( 'Enqueues waiting in WordPress', 'wecoza-sidecar' ),
			\esc_html( \number_format_i18n( (int) $spool['depth'] ) ),
			\esc_html__( 'Oldest waiting', 'wecoza-sidecar' ),
			\esc_html( self::duration( (float) ( $spool['oldest_age_seconds'] ?? 0 ) ) )
		);
	}

	/**
	 * `42 s`, `3 min`, `2 h` …: an age the way an operator reads it.
	 */
	private static function duration( float $seconds ): string {
		if ( $seconds < 1 ) {
			return \__( 'nothing due', 'wecoza-sidecar' );
		}
		if ( $seconds < MINUTE_IN_SECONDS ) {
			/* translators: %d: seconds. */
			return sprintf( \_n( '%d second', '%d seconds', (int) $seconds, 'wecoza-sidecar' ), (int) $seconds );
		}
		return \human_time_diff( 0, (int) $seconds );
	}
}
