<?php
/**
 * Tools › Scheduled Actions for sites without Action Scheduler: the sidecar's actions in a core
 * list table, with Run, Cancel and Retry.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Registered only when the bridge answers the as_* functions itself (Action Scheduler is not
 * loaded). With Action Scheduler loaded, its own screen (tools.php?page=action-scheduler) is where
 * actions are seen; this page's slug is different so the two can never clash.
 */
final class Actions_Page {

	public const PAGE     = 'wecoza-sidecar-actions';
	public const ACTION   = 'wecoza_sidecar_scheduled_action';
	public const PER_PAGE = 20;
	public const TASKS    = array( 'run', 'cancel', 'retry' );

	/**
	 * Seconds: /run waits up to 30 s for the action's outcome.
	 */
	private const RUN_TIMEOUT = 35;

	public function __construct( private Client $client ) {
	}

	public function register(): void {
		\add_action( 'admin_menu', array( $this, 'add_page' ) );
		\add_action( 'admin_post_' . self::ACTION, array( $this, 'handle_task' ) );
	}

	/**
	 * Whether this page exists on this site: only while Action Scheduler is absent.
	 */
	public static function is_available(): bool {
		return Plugin::is_mirroring();
	}

	public function add_page(): void {
		if ( ! self::is_available() ) {
			return;
		}
		\add_management_page(
			\__( 'Scheduled Actions', 'wecoza-sidecar' ),
			\__( 'Scheduled Actions', 'wecoza-sidecar' ),
			Admin_Screen::capability(),
			self::PAGE,
			array( $this, 'render' )
		);
	}

	public static function url( array $args = array() ): string {
		return \add_query_arg( $args, \admin_url( 'tools.php?page=' . self::PAGE ) );
	}

	/**
	 * A row action's link: admin-post with a nonce bound to the task and the action id.
	 */
	public static function task_url( string $task, int $action_id ): string {
		return \wp_nonce_url(
			\add_query_arg( array( 'action' => self::ACTION, 'task' => $task, 'action_id' => $action_id ), \admin_url( 'admin-post.php' ) ),
			self::ACTION . '_' . $task . '_' . $action_id
		);
	}

	public function render(): void {
		if ( ! Admin_Screen::current_user_can_view() ) {
			\wp_die( \esc_html__( 'Sorry, you are not allowed to access this page.', 'wecoza-sidecar' ), '', array( 'response' => 403 ) );
		}
		require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
		// Here, not in the main file: WP_List_Table exists only in wp-admin.
		require_once __DIR__ . '/class-sidecar-list-table.php';
		require_once __DIR__ . '/class-actions-list-table.php';
		$table = new Actions_List_Table( $this->client );
		$table->prepare_items();

		echo '<div class="wrap">';
		printf( '<h1 class="wp-heading-inline">%s</h1><hr class="wp-header-end">', \esc_html__( 'Scheduled Actions', 'wecoza-sidecar' ) );
		Admin_Screen::render_flash();
		printf(
			'<p>%s</p>',
			\esc_html__( 'Action Scheduler is not loaded on this site: these are the actions held by the WeCoza Sidecar, which runs them.', 'wecoza-sidecar' )
		);
		$table->views();
		echo '<form method="get">';
		printf( '<input type="hidden" name="page" value="%s">', \esc_attr( self::PAGE ) );
		if ( '' !== $table->filter( 'status' ) ) {
			printf( '<input type="hidden" name="status" value="%s">', \esc_attr( $table->filter( 'status' ) ) );
		}
		$table->search_box( \__( 'Search hook, args and claim ID', 'wecoza-sidecar' ), 'wecoza-sidecar-action-search' );
		$table->display();
		echo '</form></div>';
	}

	/**
	 * admin-post: Run, Cancel or Retry one action through the sidecar, then back with the outcome.
	 */
	public function handle_task(): void {
		$task      = isset( $_REQUEST['task'] ) && in_array( $_REQUEST['task'], self::TASKS, true ) ? (string) $_REQUEST['task'] : '';
		$action_id = isset( $_REQUEST['action_id'] ) ? \absint( $_REQUEST['action_id'] ) : 0;
		Admin_Screen::verify_request( self::ACTION . '_' . $task . '_' . $action_id );
		$back = Admin_Screen::back_url( self::url() );
		if ( '' === $task || 0 === $action_id || ! self::is_available() ) {
			Admin_Screen::flash( 'error', \__( 'Nothing was done: unknown task or action.', 'wecoza-sidecar' ) );
			Admin_Screen::redirect( $back );
		}

		$options = 'run' === $task ? array( 'timeout' => self::RUN_TIMEOUT ) : array();
		$result  = $this->client->post( '/v1/actions/' . $action_id . '/' . $task, null, $options );
		$labels  = array(
			/* translators: %d: action id. */
			'run'    => \__( 'Running action %d', 'wecoza-sidecar' ),
			/* translators: %d: action id. */
			'cancel' => \__( 'Canceling action %d', 'wecoza-sidecar' ),
			/* translators: %d: action id. */
			'retry'  => \__( 'Retrying action %d', 'wecoza-sidecar' ),
		);
		if ( \is_wp_error( $result ) ) {
			Admin_Screen::flash_error( sprintf( $labels[ $task ], $action_id ), $result );
			Admin_Screen::redirect( $back );
		}
		$status = (string) ( $result['status'] ?? '' );
		if ( 'run' === $task ) {
			$error   = is_string( $result['last_error'] ?? null ) ? $result['last_error'] : '';
			$type    = 'complete' === $status ? 'success' : ( 'failed' === $status ? 'error' : 'info' );
			$message = sprintf(
				/* translators: 1: action id, 2: status. */
				\__( 'Action %1$d ran and is now %2$s.', 'wecoza-sidecar' ),
				$action_id,
				$status
			) . ( '' !== $error && 'complete' !== $status ? ' ' . $error : '' );
			if ( 'in-progress' === $status ) {
				/* translators: %d: action id. */
				$message = sprintf( \__( 'Action %d is still running; reload the page to see its outcome.', 'wecoza-sidecar' ), $action_id );
			}
			Admin_Screen::flash( $type, $message );
		} elseif ( 'cancel' === $task ) {
			/* translators: %d: action id. */
			Admin_Screen::flash( 'success', sprintf( \__( 'Action %d canceled.', 'wecoza-sidecar' ), $action_id ) );
		} else {
			/* translators: %d: action id. */
			Admin_Screen::flash( 'success', sprintf( \__( 'Action %d is pending again and runs shortly.', 'wecoza-sidecar' ), $action_id ) );
		}
		Admin_Screen::redirect( $back );
	}
}
