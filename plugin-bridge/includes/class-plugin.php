<?php
/**
 * Wiring: builds each concern once and lets it add its hooks.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * The only place that knows every class. Collaborators are passed in through
 * constructors; the one static handle is the Action_Api, because the global
 * as_* functions have no other way to reach it.
 */
final class Plugin {

	public const DB_VERSION_OPTION = 'wecoza_sidecar_db_version';

	private static ?Action_Api $api = null;

	private static ?Routed_Action_Mover $shared_mover = null;

	private static bool $mirroring = false;

	private function __construct( private Cron $cron, private Recipient_Sync $recipient_sync, private Routed_Action_Mover $mover ) {
	}

	/**
	 * Called once by the main plugin file.
	 *
	 * @param string $plugin_file Path of wecoza-sidecar.php, for the activation hooks.
	 */
	public static function bootstrap( string $plugin_file ): void {
		if ( null !== self::$api ) {
			return;
		}
		$config         = new Config();
		$client         = new Client( $config );
		self::$api      = new Action_Api( $client );
		$replay_guard   = new Replay_Guard();
		$cron           = new Cron( $client );
		$recipient_sync = new Recipient_Sync( $client );
		$remote         = new Remote_Actions( $client );
		$mover          = new Routed_Action_Mover( $config, $remote );
		self::$shared_mover = $mover;
		$plugin         = new self( $cron, $recipient_sync, $mover );

		$client->register();
		$remote->register();
		// Before plugins_loaded: Action Scheduler makes its store at priority 1.
		( new Store_Integration( $config, $remote ) )->register();
		$replay_guard->register();
		( new Run_Endpoint( $config, $replay_guard ) )->register();
		( new Routing( $config, self::$api, array( Store_Integration::class, 'in_charge' ) ) )->register();
		( new List_Table_Actions( $config, $remote ) )->register();
		$cron->register();
		$mover->register();
		$recipient_sync->register();
		( new Notices( $config, $client ) )->register();
		( new Settings( $config, $client ) )->register();
		// The admin pages (the list tables load on their own screens only).
		$status_panel = new Status_Panel( $config, $client );
		$status_panel->register();
		( new Notifications_Page( $client, $status_panel ) )->register();
		( new Actions_Page( $client ) )->register();

		// Action Scheduler defines its functions at plugins_loaded 0–1; by 2 we
		// know whether to stand in for it.
		\add_action( 'plugins_loaded', 'wecoza_sidecar_define_action_scheduler_functions', 2 );
		\add_action( 'plugins_loaded', array( $plugin, 'upgrade' ), 20 );
		\register_activation_hook( $plugin_file, array( $plugin, 'activate' ) );
		\register_deactivation_hook( $plugin_file, array( $plugin, 'deactivate' ) );
	}

	/**
	 * The API behind the global functions; null before bootstrap.
	 */
	public static function api(): ?Action_Api {
		return self::$api;
	}

	/**
	 * The mover of routed actions, behind wecoza_sidecar_move_routed_actions(); null before bootstrap.
	 */
	public static function mover(): ?Routed_Action_Mover {
		return self::$shared_mover;
	}

	/**
	 * Whether this plugin answers the as_* functions (Action Scheduler absent).
	 */
	public static function is_mirroring(): bool {
		return self::$mirroring;
	}

	/**
	 * Recorded by functions.php once it has defined the as_* functions.
	 */
	public static function start_mirroring(): void {
		self::$mirroring = true;
	}

	public function activate(): void {
		$this->cron->activate();
		$this->recipient_sync->sync();
		// Pending actions of routed groups still in Action Scheduler's tables move now; what does not
		// fit in this request (or finds the sidecar away) continues on the every-minute event.
		$this->mover->move();
		\update_option( self::DB_VERSION_OPTION, WECOZA_SIDECAR_DB_VERSION, true );
	}

	public function deactivate(): void {
		$this->cron->deactivate();
		\wp_unschedule_hook( Routed_Action_Mover::EVENT );
	}

	/**
	 * Numbered steps up to WECOZA_SIDECAR_DB_VERSION, for sites that received
	 * new plugin files without an activation. Each step must be safe to repeat.
	 */
	public function upgrade(): void {
		$stored = (int) \get_option( self::DB_VERSION_OPTION, 0 );
		if ( $stored >= WECOZA_SIDECAR_DB_VERSION ) {
			return;
		}
		if ( $stored < 1 ) {
			$this->cron->ensure_scheduled();
		}
		\update_option( self::DB_VERSION_OPTION, WECOZA_SIDECAR_DB_VERSION, true );
	}
}
