<?php
/**
 * Loads the units under test with stubbed WordPress functions, no WordPress.
 *
 * @package WeCoza\Sidecar\Tests
 */

require_once __DIR__ . '/support/wordpress-stubs.php';
require_once __DIR__ . '/support/class-fake-transport.php';
require_once __DIR__ . '/support/class-test-case.php';
require_once __DIR__ . '/support/fake-action-scheduler.php';
require_once __DIR__ . '/support/admin-stubs.php';

$plugin = dirname( __DIR__ );
require_once $plugin . '/includes/class-config.php';
require_once $plugin . '/includes/class-client.php';
require_once $plugin . '/includes/class-scheduled-action.php';
require_once $plugin . '/includes/class-action-query.php';
require_once $plugin . '/includes/class-action-api.php';
require_once $plugin . '/includes/class-signature.php';
require_once $plugin . '/includes/class-delivery.php';
require_once $plugin . '/includes/class-routing.php';
require_once $plugin . '/includes/class-admin-screen.php';
require_once $plugin . '/includes/class-notifications-filter.php';
require_once $plugin . '/includes/class-merged-query.php';
require_once $plugin . '/includes/class-remote-actions.php';
require_once $plugin . '/includes/class-store-integration.php';
require_once $plugin . '/includes/class-list-table-actions.php';
