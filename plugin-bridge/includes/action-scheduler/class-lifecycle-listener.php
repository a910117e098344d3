<?php
/**
 * One of the wrapped logger's callbacks, called for Action Scheduler's own actions only.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar\Action_Scheduler;

use WeCoza\Sidecar\Config;

/**
 * Action Scheduler's lifecycle actions pass the action id first (or, for a bulk cancel, a list of
 * ids). A sidecar id is dropped: the sidecar logged the event already, in its own log.
 */
final class Lifecycle_Listener {

	/**
	 * @var callable
	 */
	private $callback;

	public function __construct( callable $callback, private Config $config ) {
		$this->callback = $callback;
	}

	/**
	 * @param mixed ...$args What the action passes.
	 */
	public function __invoke( ...$args ): void {
		$first = $args[0] ?? null;
		if ( is_array( $first ) ) {
			$args[0] = array_values( array_filter( $first, fn( $id ): bool => ! $this->config->is_sidecar_id( $id ) ) );
			if ( array() === $args[0] && array() !== $first ) {
				return;
			}
		} elseif ( $this->config->is_sidecar_id( $first ) ) {
			return;
		}
		( $this->callback )( ...$args );
	}
}
