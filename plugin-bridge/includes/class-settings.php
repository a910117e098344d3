<?php
/**
 * Settings → WeCoza Sidecar.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * The settings page, built on the Settings API (which brings the nonce and
 * the capability check of options.php), plus a "Test connection" form that
 * posts to admin-post.php and shows the sidecar's answers after a redirect.
 */
final class Settings {

	public const PAGE         = 'wecoza-sidecar';
	public const OPTION_GROUP = 'wecoza_sidecar';
	public const TEST_ACTION  = 'wecoza_sidecar_test_connection';
	public const TEST_NONCE   = 'wecoza_sidecar_test_nonce';
	public const CAPABILITY   = 'manage_options';

	/**
	 * Per-user result of the last connection test, read once after the redirect.
	 */
	private const TEST_TRANSIENT = 'wecoza_sidecar_test_result_';

	/**
	 * Fields whose stored value is never printed back into the page.
	 */
	private const SECRET_KEYS = array( 'token', 'callback_secret' );

	public function __construct( private Config $config, private Client $client ) {
	}

	public function register(): void {
		\add_action( 'admin_menu', array( $this, 'add_page' ) );
		\add_action( 'admin_init', array( $this, 'register_settings' ) );
		\add_action( 'admin_post_' . self::TEST_ACTION, array( $this, 'test_connection' ) );
	}

	public function add_page(): void {
		\add_options_page(
			\__( 'WeCoza Sidecar', 'wecoza-sidecar' ),
			\__( 'WeCoza Sidecar', 'wecoza-sidecar' ),
			self::CAPABILITY,
			self::PAGE,
			array( $this, 'render' )
		);
	}

	public function register_settings(): void {
		$labels = array(
			'url'             => \__( 'Sidecar URL', 'wecoza-sidecar' ),
			'token'           => \__( 'API token', 'wecoza-sidecar' ),
			'callback_secret' => \__( 'Callback secret', 'wecoza-sidecar' ),
			'hook_allowlist'  => \__( 'Hooks the sidecar may run', 'wecoza-sidecar' ),
			'routed_groups'   => \__( 'Groups sent to the sidecar', 'wecoza-sidecar' ),
		);
		\add_settings_section( 'wecoza_sidecar_main', '', '__return_null', self::PAGE );

		foreach ( Config::SETTINGS as $key => [ , $option ] ) {
			\register_setting(
				self::OPTION_GROUP,
				$option,
				array(
					'type'              => in_array( $key, array( 'hook_allowlist', 'routed_groups' ), true ) ? 'array' : 'string',
					'sanitize_callback' => fn( $value ) => $this->sanitize( $key, $option, $value ),
					'show_in_rest'      => false,
				)
			);
			\add_settings_field(
				$option,
				\esc_html( $labels[ $key ] ),
				fn() => $this->render_field( $key, $option ),
				self::PAGE,
				'wecoza_sidecar_main',
				array( 'label_for' => $option )
			);
		}
	}

	/**
	 * @param mixed $value Submitted value.
	 * @return mixed Value to store.
	 */
	private function sanitize( string $key, string $option, $value ) {
		// A field fixed by wp-config.php is disabled and not submitted; keep
		// what is stored so removing the constant later restores it.
		if ( null === $value ) {
			return \get_option( $option, in_array( $key, array( 'hook_allowlist', 'routed_groups' ), true ) ? array() : '' );
		}
		switch ( $key ) {
			case 'url':
				return rtrim( \esc_url_raw( trim( (string) $value ), array( 'http', 'https' ) ), '/' );
			case 'token':
			case 'callback_secret':
				$value = trim( (string) $value );
				// Secrets are never shown, so an empty field means "unchanged".
				return '' === $value ? (string) \get_option( $option, '' ) : \sanitize_text_field( $value );
			default:
				return array_map( 'sanitize_text_field', Config::to_list( $value ) );
		}
	}

	private function render_field( string $key, string $option ): void {
		$locked   = $this->config->is_locked( $key );
		$disabled = $locked ? ' disabled' : '';
		$constant = Config::SETTINGS[ $key ][0];

		if ( 'url' === $key ) {
			printf(
				'<input type="url" class="regular-text code" id="%1$s" name="%1$s" value="%2$s" placeholder="http://127.0.0.1:8787"%3$s>',
				\esc_attr( $option ),
				\esc_attr( $this->config->url() ),
				$disabled // Fixed markup.
			);
		} elseif ( in_array( $key, self::SECRET_KEYS, true ) ) {
			$is_set = '' !== ( 'token' === $key ? $this->config->token() : $this->config->callback_secret() );
			printf(
				'<input type="password" class="regular-text code" id="%1$s" name="%1$s" value="" autocomplete="new-password" placeholder="%2$s"%3$s>',
				\esc_attr( $option ),
				\esc_attr( $is_set ? \__( 'saved — leave empty to keep', 'wecoza-sidecar' ) : '' ),
				$disabled // Fixed markup.
			);
		} else {
			$items = 'hook_allowlist' === $key ? $this->config->hook_allowlist() : $this->config->routed_groups();
			printf(
				'<textarea class="large-text code" rows="3" id="%1$s" name="%1$s"%3$s>%2$s</textarea>',
				\esc_attr( $option ),
				\esc_textarea( implode( "\n", $items ) ),
				$disabled // Fixed markup.
			);
		}

		$help = array(
			'url'             => \__( 'Base URL of the sidecar, without /v1.', 'wecoza-sidecar' ),
			'token'           => \__( 'The sidecar\'s SIDECAR_API_TOKEN, sent as a bearer token.', 'wecoza-sidecar' ),
			'callback_secret' => \__( 'The sidecar\'s WP_CALLBACK_SECRET; it signs the calls that run PHP hooks here.', 'wecoza-sidecar' ),
			'hook_allowlist'  => \__( 'One per line: an exact hook name, or a prefix ending in *.', 'wecoza-sidecar' ),
			'routed_groups'   => \__( 'One per line; * for every group. Used when Action Scheduler is loaded: actions of these groups live in the sidecar (pending ones already in Action Scheduler move there once).', 'wecoza-sidecar' ),
		);
		echo '<p class="description">' . \esc_html( $help[ $key ] ) . '</p>';
		if ( $locked ) {
			echo '<p class="description"><strong>' . \esc_html(
				sprintf(
					/* translators: %s: constant name. */
					\__( 'Set by %s in wp-config.php.', 'wecoza-sidecar' ),
					$constant
				)
			) . '</strong></p>';
		}
	}

	public function render(): void {
		if ( ! \current_user_can( self::CAPABILITY ) ) {
			return;
		}
		$mode = Plugin::is_mirroring()
			? \__( 'Action Scheduler is not loaded: the as_* functions are answered by the sidecar.', 'wecoza-sidecar' )
			: Store_Integration::describe();
		?>
		<div class="wrap">
			<h1><?php echo \esc_html( \get_admin_page_title() ); ?></h1>
			<p><?php echo \esc_html( $mode ); ?></p>
			<p>
				<?php \esc_html_e( 'Callback URL for the sidecar (WP_CALLBACK_URL):', 'wecoza-sidecar' ); ?>
				<code><?php echo \esc_html( Run_Endpoint::url() ); ?></code>
			</p>
			<form method="post" action="<?php echo \esc_url( \admin_url( 'options.php' ) ); ?>">
				<?php
				\settings_fields( self::OPTION_GROUP );
				\do_settings_sections( self::PAGE );
				\submit_button();
				?>
			</form>
			<h2><?php \esc_html_e( 'Connection', 'wecoza-sidecar' ); ?></h2>
			<form method="post" action="<?php echo \esc_url( \admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="<?php echo \esc_attr( self::TEST_ACTION ); ?>">
				<?php
				// Own field names: the settings form above already uses the ids _wpnonce and submit.
				\wp_nonce_field( self::TEST_ACTION, self::TEST_NONCE );
				\submit_button( \__( 'Test connection', 'wecoza-sidecar' ), 'secondary', 'wecoza_sidecar_test', false );
				?>
			</form>
			<?php $this->render_test_result(); ?>
		</div>
		<?php
	}

	/**
	 * admin-post handler: probes the open and an authenticated route, then redirects back.
	 */
	public function test_connection(): void {
		if ( ! \current_user_can( self::CAPABILITY ) ) {
			\wp_die( \esc_html__( 'You are not allowed to do this.', 'wecoza-sidecar' ), 403 );
		}
		\check_admin_referer( self::TEST_ACTION, self::TEST_NONCE );

		$ready   = $this->client->get( '/readyz', array(), array( 'auth' => false, 'timeout' => 3 ) );
		$actions = $this->client->get( '/v1/actions', array( 'per_page' => 1 ), array( 'timeout' => 3 ) );
		$results = array(
			'GET /readyz'               => self::describe( $ready, null ),
			// Only the count: the first action's args may hold personal data.
			'GET /v1/actions?per_page=1' => self::describe( $actions, 'total' ),
		);
		\set_transient( self::TEST_TRANSIENT . \get_current_user_id(), $results, 5 * MINUTE_IN_SECONDS );
		\wp_safe_redirect( \admin_url( 'options-general.php?page=' . self::PAGE . '&wecoza-sidecar-tested=1' ) );
		exit;
	}

	/**
	 * @param array|\WP_Error $answer Client result.
	 * @param string|null     $only   Report just this key of a successful answer.
	 * @return array{ok: bool, text: string}
	 */
	private static function describe( $answer, ?string $only ): array {
		if ( \is_wp_error( $answer ) ) {
			$data   = $answer->get_error_data();
			$status = is_array( $data ) ? (int) ( $data['status'] ?? 0 ) : 0;
			return array(
				'ok'   => false,
				'text' => sprintf( '%s (HTTP %d): %s', $answer->get_error_code(), $status, $answer->get_error_message() ),
			);
		}
		$shown = null === $only ? $answer : array( $only => $answer[ $only ] ?? null );
		return array(
			'ok'   => true,
			'text' => substr( (string) \wp_json_encode( $shown ), 0, 1000 ),
		);
	}

	private function render_test_result(): void {
		$key     = self::TEST_TRANSIENT . \get_current_user_id();
		$results = \get_transient( $key );
		if ( ! is_array( $results ) ) {
			return;
		}
		\delete_transient( $key );
		echo '<table class="widefat striped" style="max-width:60em"><tbody>';
		foreach ( $results as $request => $result ) {
			printf(
				'<tr><th scope="row"><code>%s</code></th><td>%s</td><td><code>%s</code></td></tr>',
				\esc_html( $request ),
				$result['ok'] ? \esc_html__( 'OK', 'wecoza-sidecar' ) : \esc_html__( 'Failed', 'wecoza-sidecar' ),
				\esc_html( $result['text'] )
			);
		}
		echo '</tbody></table>';
	}
}
