<?php
/**
 * Run, Cancel and Delete on Tools › Scheduled Actions, for the sidecar's rows.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Action Scheduler's list table runs a row's PHP hook inside the page request (Run), and deletes
 * rows from its tables (bulk Delete). For a sidecar action both would be wrong: the sidecar runs
 * it (with its own claim, attempts and log lines), and keeps its history. So before the list table
 * handles the request (`admin_init`), a sidecar row's action is answered here:
 *
 * - Run calls the sidecar's `POST /v1/actions/{id}/run`, Cancel its `/cancel`; the outcome is shown
 *   through the list table's own notice (the transient it reads after a row action).
 * - Bulk Delete leaves the sidecar's rows out (Action Scheduler deletes the rest) and says so in a
 *   notice: their history is the sidecar's, removed by its retention. Pending ones can be canceled.
 *
 * Action Scheduler's own nonces and capability guard these as they guard its row actions.
 */
final class List_Table_Actions {

	/**
	 * Per-user notice for the next page: how many rows bulk Delete left alone.
	 */
	public const REFUSED_TRANSIENT = 'wecoza_sidecar_not_deleted_';

	public function __construct( private Config $config, private Remote_Actions $remote ) {
	}

	public function register(): void {
		\add_action( 'admin_init', array( $this, 'intercept' ), 1 );
		\add_action( 'admin_notices', array( $this, 'render_notice' ) );
	}

	/**
	 * Whether this request is Action Scheduler's admin screen (Tools, or WooCommerce's status tab).
	 */
	public static function on_screen(): bool {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- only deciding which screen this is.
		$page = isset( $_GET['page'] ) ? \sanitize_key( \wp_unslash( $_GET['page'] ) ) : '';
		$tab  = isset( $_GET['tab'] ) ? \sanitize_key( \wp_unslash( $_GET['tab'] ) ) : '';
		// phpcs:enable
		return 'action-scheduler' === $page || ( 'wc-status' === $page && 'action-scheduler' === $tab );
	}

	public function intercept(): void {
		if ( ! self::on_screen() || ! Store_Integration::in_charge() || ! \current_user_can( 'manage_options' ) ) {
			return;
		}
		$this->bulk_delete();
		$this->row_action();
	}

	public function render_notice(): void {
		if ( ! self::on_screen() ) {
			return;
		}
		$key     = self::REFUSED_TRANSIENT . \get_current_user_id();
		$refused = (int) \get_transient( $key );
		if ( $refused <= 0 ) {
			return;
		}
		\delete_transient( $key );
		printf(
			'<div class="notice notice-warning wecoza-sidecar-not-deleted"><p>%s</p></div>',
			\esc_html(
				sprintf(
					/* translators: %d: number of actions. */
					\_n(
						'%d action was not deleted: it lives in the WeCoza Sidecar, which keeps its history and removes finished actions after its retention period. A pending one can be canceled instead.',
						'%d actions were not deleted: they live in the WeCoza Sidecar, which keeps their history and removes finished actions after its retention period. Pending ones can be canceled instead.',
						$refused,
						'wecoza-sidecar'
					),
					$refused
				)
			)
		);
	}

	private function row_action(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- verified below with Action Scheduler's nonce.
		$action = isset( $_REQUEST['row_action'] ) ? \sanitize_text_field( \wp_unslash( $_REQUEST['row_action'] ) ) : '';
		$row_id = isset( $_REQUEST['row_id'] ) ? \sanitize_text_field( \wp_unslash( $_REQUEST['row_id'] ) ) : '';
		$nonce  = isset( $_REQUEST['nonce'] ) ? \sanitize_text_field( \wp_unslash( $_REQUEST['nonce'] ) ) : '';
		// phpcs:enable
		if ( ! in_array( $action, array( 'run', 'cancel' ), true ) || ! ctype_digit( $row_id ) || ! $this->config->is_sidecar_id( $row_id ) ) {
			return;
		}
		if ( ! \wp_verify_nonce( $nonce, $action . '::' . $row_id ) ) {
			// Action Scheduler ignores a bad nonce and redirects; leave that to it.
			return;
		}

		$id     = (int) $row_id;
		$answer = 'run' === $action ? $this->remote->run( $id ) : $this->remote->cancel( $id );
		[ $success, $error_message ] = self::outcome( $action, $answer );
		\set_transient(
			'action_scheduler_admin_notice',
			array(
				'action_id'       => $id,
				'success'         => $success,
				'error_message'   => $error_message,
				'row_action_type' => $action,
			),
			30
		);
		if ( isset( $_SERVER['REQUEST_URI'] ) ) {
			\wp_safe_redirect( \remove_query_arg( array( 'row_id', 'row_action', 'nonce' ), \esc_url_raw( \wp_unslash( $_SERVER['REQUEST_URI'] ) ) ) );
			exit;
		}
	}

	/**
	 * The list table's notice fields: success 1, or 0 with a message.
	 *
	 * @param array|\WP_Error $answer The sidecar's answer.
	 * @return array{0: int, 1: string}
	 */
	public static function outcome( string $action, $answer ): array {
		if ( \is_wp_error( $answer ) ) {
			return array( 0, $answer->get_error_message() );
		}
		if ( 'run' !== $action ) {
			return array( 1, '' );
		}
		$status = (string) ( $answer['status'] ?? '' );
		$error  = is_string( $answer['last_error'] ?? null ) ? $answer['last_error'] : '';
		switch ( $status ) {
			case 'failed':
				return array( 0, sprintf( 'The sidecar ran it and it failed: %s', '' !== $error ? $error : 'no message' ) );
			case 'pending':
				return array( 0, sprintf( 'The sidecar ran it; it will be tried again: %s', '' !== $error ? $error : 'no message' ) );
			default:
				// complete, or still running after the sidecar's wait.
				return array( 1, '' );
		}
	}

	private function bulk_delete(): void {
		// phpcs:disable WordPress.Security.NonceVerification -- verified below with Action Scheduler's nonce.
		$action = isset( $_REQUEST['action'] ) && '-1' !== (string) $_REQUEST['action'] ? (string) $_REQUEST['action'] : (string) ( $_REQUEST['action2'] ?? '' );
		$ids    = isset( $_GET['ID'] ) && is_array( $_GET['ID'] ) ? array_map( 'absint', \wp_unslash( $_GET['ID'] ) ) : array();
		// phpcs:enable
		if ( 'delete' !== $action || array() === $ids ) {
			return;
		}
		$local = array_values( array_filter( $ids, fn( int $id ): bool => ! $this->config->is_sidecar_id( $id ) ) );
		if ( count( $local ) === count( $ids ) || ! \wp_verify_nonce( (string) ( $_REQUEST['_wpnonce'] ?? '' ), 'bulk-action-scheduler' ) ) {
			return;
		}
		// Action Scheduler reads $_GET['ID'] next; it deletes what is left.
		$_GET['ID']     = array_map( 'strval', $local );
		$_REQUEST['ID'] = $_GET['ID'];
		\set_transient( self::REFUSED_TRANSIENT . \get_current_user_id(), count( $ids ) - count( $local ), 300 );
	}
}
