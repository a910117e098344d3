<?php
/**
 * Plugin Name:       WeCoza Sidecar Bridge
 * Description:       Sends Action Scheduler calls and the WeCoza notification pipeline to the WeCoza Sidecar service, and runs the PHP hooks the sidecar dispatches back.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            WeCoza
 * License:           GPL-2.0-or-later
 * Text Domain:       wecoza-sidecar
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'WECOZA_SIDECAR_VERSION', '0.1.0' );

/*
 * Bumped whenever a step is added to Plugin::upgrade(): plugin updates do not
 * fire the activation hook, so stored state is brought forward by comparing
 * this with the `wecoza_sidecar_db_version` option on every load.
 */
define( 'WECOZA_SIDECAR_DB_VERSION', 1 );

require_once __DIR__ . '/includes/class-config.php';
require_once __DIR__ . '/includes/class-client.php';
require_once __DIR__ . '/includes/class-scheduled-action.php';
require_once __DIR__ . '/includes/class-action-query.php';
require_once __DIR__ . '/includes/class-action-api.php';
require_once __DIR__ . '/includes/class-signature.php';
require_once __DIR__ . '/includes/class-delivery.php';
require_once __DIR__ . '/includes/class-replay-guard.php';
require_once __DIR__ . '/includes/class-run-endpoint.php';
require_once __DIR__ . '/includes/class-routing.php';
require_once __DIR__ . '/includes/class-merged-query.php';
require_once __DIR__ . '/includes/class-remote-actions.php';
require_once __DIR__ . '/includes/class-store-integration.php';
require_once __DIR__ . '/includes/class-list-table-actions.php';
require_once __DIR__ . '/includes/class-routed-action-mover.php';
require_once __DIR__ . '/includes/class-cron.php';
require_once __DIR__ . '/includes/class-recipient-sync.php';
require_once __DIR__ . '/includes/class-notices.php';
require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-admin-screen.php';
require_once __DIR__ . '/includes/class-action-log-list.php';
require_once __DIR__ . '/includes/class-status-panel.php';
require_once __DIR__ . '/includes/class-notifications-filter.php';
require_once __DIR__ . '/includes/class-notification-detail.php';
require_once __DIR__ . '/includes/class-notifications-page.php';
require_once __DIR__ . '/includes/class-actions-page.php';
require_once __DIR__ . '/includes/class-plugin.php';
require_once __DIR__ . '/functions.php';

Plugin::bootstrap( __FILE__ );
