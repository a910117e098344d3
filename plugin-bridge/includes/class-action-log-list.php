<?php
/**
 * An action's log lines, as Action Scheduler's list table shows them.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * Shared by the Scheduled Actions list and a notification's detail view.
 */
final class Action_Log_List {

	/**
	 * @param array<int, mixed> $logs The sidecar's `logs` (`{id, message, date_gmt}`), oldest first.
	 * @return string Escaped markup.
	 */
	public static function render( array $logs ): string {
		$items = array();
		foreach ( $logs as $log ) {
			if ( ! is_array( $log ) ) {
				continue;
			}
			$items[] = sprintf(
				'<li><time datetime="%1$s">%2$s</time>: %3$s</li>',
				\esc_attr( (string) ( $log['date_gmt'] ?? '' ) ),
				\esc_html( Admin_Screen::time( $log['date_gmt'] ?? null ) ),
				\esc_html( Admin_Screen::text_with_addresses( (string) ( $log['message'] ?? '' ) ) )
			);
		}
		return array() === $items ? '—' : '<ol class="wecoza-sidecar-log">' . implode( '', $items ) . '</ol>';
	}
}
