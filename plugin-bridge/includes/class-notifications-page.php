<?php
/**
 * The Notifications admin page: the sidecar's notifications with their deliveries, one
 * notification's detail, and redrives.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Under WeCoza's menu when WeCoza is active, else under Tools. Every action is a POST to
 * admin-post.php with a nonce, answered by a redirect and a notice, so the page works without
 * JavaScript.
 */
final class Notifications_Page {

	public const PAGE          = 'wecoza-sidecar-notifications';
	public const REDRIVE       = 'wecoza_sidecar_redrive_notification';
	public const REDRIVE_BULK  = 'wecoza_sidecar_redrive_notifications';
	public const PER_PAGE      = 20;
	public const ENRICH_HOOK   = 'wecoza_enrich_notification';
	public const EMAIL_HOOK    = 'wecoza_send_notification_email';
	public const REDRIVABLE    = array( 'skipped', 'failed' );
	private const RELATED_CAP  = 20;

	public function __construct( private Client $client, private Status_Panel $status_panel ) {
	}

	public function register(): void {
		// Late, so WeCoza's own menu exists when we look for it.
		\add_action( 'admin_menu', array( $this, 'add_page' ), 20 );
		\add_action( 'admin_post_' . self::REDRIVE, array( $this, 'handle_redrive' ) );
		\add_action( 'admin_post_' . self::REDRIVE_BULK, array( $this, 'handle_bulk_redrive' ) );
	}

	public function add_page(): void {
		\add_submenu_page(
			self::parent_menu(),
			\__( 'Notifications', 'wecoza-sidecar' ),
			\__( 'Notifications', 'wecoza-sidecar' ),
			Admin_Screen::capability(),
			self::PAGE,
			array( $this, 'render' )
		);
	}

	/**
	 * WeCoza's top-level menu when WeCoza is active and has one (a menu slug starting `wecoza`),
	 * else Tools.
	 */
	public static function parent_menu(): string {
		$parent = 'tools.php';
		if ( self::wecoza_active() ) {
			foreach ( (array) ( $GLOBALS['menu'] ?? array() ) as $item ) {
				$slug = is_array( $item ) ? (string) ( $item[2] ?? '' ) : '';
				if ( str_starts_with( $slug, 'wecoza' ) && ! str_starts_with( $slug, 'wecoza-sidecar' ) ) {
					$parent = $slug;
					break;
				}
			}
		}
		/**
		 * Filters the parent menu of the Notifications page.
		 *
		 * @param string $parent A top-level menu slug, or `tools.php`.
		 */
		return (string) \apply_filters( 'wecoza_sidecar_notifications_parent_menu', $parent );
	}

	/**
	 * WeCoza (the wecoza-core plugin) defines WECOZA_CORE_VERSION when it loads.
	 */
	public static function wecoza_active(): bool {
		return \defined( 'WECOZA_CORE_VERSION' );
	}

	public static function url( array $args = array() ): string {
		return \add_query_arg( $args, \menu_page_url( self::PAGE, false ) ?: \admin_url( 'tools.php?page=' . self::PAGE ) );
	}

	public function render(): void {
		if ( ! Admin_Screen::current_user_can_view() ) {
			\wp_die( \esc_html__( 'Sorry, you are not allowed to access this page.', 'wecoza-sidecar' ), '', array( 'response' => 403 ) );
		}
		$log_id = isset( $_GET['log_id'] ) ? \absint( $_GET['log_id'] ) : 0;
		echo '<div class="wrap">';
		if ( $log_id > 0 ) {
			$this->render_detail( $log_id );
		} else {
			$this->render_list();
		}
		echo '</div>';
	}

	private function render_list(): void {
		printf( '<h1 class="wp-heading-inline">%s</h1><hr class="wp-header-end">', \esc_html__( 'Notifications', 'wecoza-sidecar' ) );
		Admin_Screen::render_flash();
		printf( '<h2>%s</h2>', \esc_html__( 'Sidecar status', 'wecoza-sidecar' ) );
		$this->status_panel->render( 3 );

		require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		// Here, not in the main file: WP_List_Table exists only in wp-admin.
		require_once __DIR__ . '/class-sidecar-list-table.php';
		require_once __DIR__ . '/class-notifications-list-table.php';
		$table = new Notifications_List_Table( $this->client );
		$table->prepare_items();

		printf( '<h2>%s</h2>', \esc_html__( 'Notifications', 'wecoza-sidecar' ) );
		$table->views();
		echo '<form method="get">';
		printf( '<input type="hidden" name="page" value="%s">', \esc_attr( self::PAGE ) );
		// The state comes from the views; operation and class id have their own fields in the table nav.
		if ( '' !== $table->filter( 'state' ) ) {
			printf( '<input type="hidden" name="state" value="%s">', \esc_attr( $table->filter( 'state' ) ) );
		}
		$table->search_box( \__( 'Search by log id or class code', 'wecoza-sidecar' ), 'wecoza-sidecar-notification-search' );
		$table->display();
		echo '</form>';
		$this->render_bulk_form( $table );
	}

	/**
	 * The "Redrive all skipped / failed" button for the current filter, when it can match any.
	 */
	private function render_bulk_form( Notifications_List_Table $table ): void {
		$states = self::redrivable_states( $table->filter( 'state' ) );
		if ( array() === $states ) {
			return;
		}
		echo '<form method="post" action="' . \esc_url( \admin_url( 'admin-post.php' ) ) . '">';
		printf( '<input type="hidden" name="action" value="%s">', \esc_attr( self::REDRIVE_BULK ) );
		\wp_nonce_field( self::REDRIVE_BULK );
		printf( '<input type="hidden" name="state" value="%s">', \esc_attr( implode( ',', $states ) ) );
		foreach ( array( 'operation', 'class_id', 's' ) as $key ) {
			printf( '<input type="hidden" name="%1$s" value="%2$s">', \esc_attr( $key ), \esc_attr( $table->filter( $key ) ) );
		}
		\submit_button(
			\__( 'Redrive all skipped / failed matching this filter', 'wecoza-sidecar' ),
			'secondary',
			'wecoza-sidecar-redrive-all',
			false
		);
		echo '</form>';
	}

	/**
	 * The part of a state filter a redrive can act on: skipped and failed; both when unfiltered.
	 *
	 * @return string[]
	 */
	public static function redrivable_states( string $filter ): array {
		if ( '' === $filter ) {
			return self::REDRIVABLE;
		}
		return array_values( array_intersect( self::REDRIVABLE, explode( ',', $filter ) ) );
	}

	private function render_detail( int $log_id ): void {
		$back = sprintf( '<a href="%s">%s</a>', \esc_url( self::url() ), \esc_html__( '← All notifications', 'wecoza-sidecar' ) );
		printf(
			'<h1 class="wp-heading-inline">%s</h1><hr class="wp-header-end"><p>%s</p>',
			\esc_html(
				sprintf(
					/* translators: %d: log id. */
					\__( 'Notification %d', 'wecoza-sidecar' ),
					$log_id
				)
			),
			$back // Built from escaped parts above.
		);
		Admin_Screen::render_flash();
		$detail = $this->client->get( '/v1/notifications/' . $log_id );
		if ( \is_wp_error( $detail ) ) {
			printf( '<div class="notice notice-error"><p>%s</p></div>', \esc_html( $detail->get_error_message() ) );
			return;
		}

		( new Notification_Detail( $detail, $this->related_actions( $log_id ) ) )->render();
		if ( in_array( $detail['state'] ?? '', self::REDRIVABLE, true ) ) {
			self::render_redrive_form( $log_id, \__( 'Redrive this notification', 'wecoza-sidecar' ), 'primary' );
		}
	}

	/**
	 * The actions of one notification, with their log lines: its enrichment and its e-mails, found
	 * by their args' log_id (the sidecar's args carry ids only). Each action's logs are one call.
	 *
	 * @return array<int, array<string, mixed>>|\WP_Error
	 */
	private function related_actions( int $log_id ) {
		$actions = array();
		foreach ( array( self::ENRICH_HOOK, self::EMAIL_HOOK ) as $hook ) {
			$found = $this->client->post(
				'/v1/actions/query',
				array(
					'hook'                  => $hook,
					'args'                  => array( 'log_id' => $log_id ),
					'partial_args_matching' => 'json',
					'per_page'              => self::RELATED_CAP,
					'orderby'               => 'action_id',
					'order'                 => 'ASC',
				)
			);
			if ( \is_wp_error( $found ) ) {
				return $found;
			}
			foreach ( (array) ( $found['actions'] ?? array() ) as $action ) {
				if ( ! is_array( $action ) ) {
					continue;
				}
				$logs            = $this->client->get( '/v1/actions/' . (int) $action['id'] . '/logs' );
				$action['logs']  = \is_wp_error( $logs ) ? array() : (array) ( $logs['logs'] ?? array() );
				$actions[]       = $action;
			}
		}
		return $actions;
	}

	/**
	 * A one-button POST form that redrives one notification.
	 */
	public static function render_redrive_form( int $log_id, string $label, string $type = 'secondary' ): void {
		echo '<form method="post" action="' . \esc_url( \admin_url( 'admin-post.php' ) ) . '" class="wecoza-sidecar-redrive">';
		printf( '<input type="hidden" name="action" value="%s">', \esc_attr( self::REDRIVE ) );
		printf( '<input type="hidden" name="log_id" value="%d">', (int) $log_id );
		\wp_nonce_field( self::REDRIVE . '_' . $log_id, '_wpnonce', false );
		\submit_button( $label, $type, 'wecoza-sidecar-redrive-' . $log_id, false );
		echo '</form>';
	}

	/**
	 * The list's "Redrive" row action: a link with a nonce for this log id, as core's row actions are.
	 */
	public static function redrive_url( int $log_id ): string {
		return \wp_nonce_url(
			\add_query_arg( array( 'action' => self::REDRIVE, 'log_id' => $log_id ), \admin_url( 'admin-post.php' ) ),
			self::REDRIVE . '_' . $log_id
		);
	}

	/**
	 * admin-post: POST /v1/notifications/{log_id}/redrive, then back with its outcome.
	 */
	public function handle_redrive(): void {
		$log_id = isset( $_REQUEST['log_id'] ) ? \absint( $_REQUEST['log_id'] ) : 0;
		Admin_Screen::verify_request( self::REDRIVE . '_' . $log_id );
		/* translators: %d: log id. */
		$what   = sprintf( \__( 'Redriving notification %d', 'wecoza-sidecar' ), $log_id );
		$result = $log_id > 0 ? $this->client->post( '/v1/notifications/' . $log_id . '/redrive' ) : new \WP_Error( 'wecoza_sidecar_bad_request', \__( 'No notification given.', 'wecoza-sidecar' ) );
		if ( \is_wp_error( $result ) ) {
			Admin_Screen::flash_error( $what, $result );
		} elseif ( 'skipped' === ( $result['state'] ?? '' ) ) {
			Admin_Screen::flash(
				'warning',
				sprintf(
					/* translators: 1: log id, 2: operation. */
					\__( 'Notification %1$d is still skipped: nobody is set to receive %2$s notifications. Add recipients in WeCoza\'s settings, then redrive it.', 'wecoza-sidecar' ),
					$log_id,
					(string) ( $result['operation'] ?? '' )
				)
			);
		} else {
			Admin_Screen::flash(
				'success',
				sprintf(
					/* translators: 1: log id, 2: state. */
					\__( 'Notification %1$d redriven: it is %2$s again.', 'wecoza-sidecar' ),
					$log_id,
					(string) ( $result['state'] ?? '' )
				)
			);
		}
		Admin_Screen::redirect( Admin_Screen::back_url( self::url( array( 'log_id' => $log_id ) ) ) );
	}

	/**
	 * admin-post: POST /v1/notifications/redrive with the list's filter, then back with the counts.
	 */
	public function handle_bulk_redrive(): void {
		Admin_Screen::verify_request( self::REDRIVE_BULK );
		$body   = array( 'state' => self::redrivable_states( \sanitize_text_field( \wp_unslash( $_POST['state'] ?? '' ) ) ) );
		$filter = Notifications_Filter::from_request( $_POST );
		if ( array() === $body['state'] ) {
			Admin_Screen::flash( 'info', \__( 'Only skipped and failed notifications can be redriven; this filter matches neither.', 'wecoza-sidecar' ) );
			Admin_Screen::redirect( Admin_Screen::back_url( self::url() ) );
		}
		$body   = array_merge( $body, $filter->to_body() );
		$result = $this->client->post( '/v1/notifications/redrive', $body, array( 'timeout' => 30 ) );
		if ( \is_wp_error( $result ) ) {
			Admin_Screen::flash_error( \__( 'Redriving skipped and failed notifications', 'wecoza-sidecar' ), $result );
		} else {
			Admin_Screen::flash(
				(int) ( $result['matched'] ?? 0 ) > 0 ? 'success' : 'info',
				sprintf(
					/* translators: 1: matched, 2: redriven, 3: still skipped, 4: not redrivable, 5: remaining. */
					\__( 'Bulk redrive: %1$d matched, %2$d redriven, %3$d still skipped (no recipient), %4$d not redrivable, %5$d left for another run.', 'wecoza-sidecar' ),
					(int) ( $result['matched'] ?? 0 ),
					(int) ( $result['redriven'] ?? 0 ),
					(int) ( $result['still_skipped'] ?? 0 ),
					(int) ( $result['not_redrivable'] ?? 0 ),
					(int) ( $result['remaining'] ?? 0 )
				)
			);
		}
		Admin_Screen::redirect( Admin_Screen::back_url( self::url() ) );
	}
}
