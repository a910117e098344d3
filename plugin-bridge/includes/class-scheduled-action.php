<?php
/**
 * One action as the sidecar reports it.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * What as_get_scheduled_actions() returns per action in the OBJECT format.
 * Action Scheduler returns its own action classes there; without Action
 * Scheduler those do not exist, so this offers the getters callers use most
 * (get_hook, get_args, get_group, get_priority) over the sidecar's fields.
 */
final class Scheduled_Action {

	/**
	 * @param array<string, mixed> $fields The sidecar's JSON for one action.
	 */
	public function __construct( private array $fields ) {
	}

	public function get_id(): int {
		return (int) ( $this->fields['id'] ?? 0 );
	}

	public function get_hook(): string {
		return (string) ( $this->fields['hook'] ?? '' );
	}

	public function get_args(): array {
		return is_array( $this->fields['args'] ?? null ) ? $this->fields['args'] : array();
	}

	public function get_group(): string {
		return (string) ( $this->fields['group'] ?? '' );
	}

	public function get_priority(): int {
		return (int) ( $this->fields['priority'] ?? 10 );
	}

	public function get_status(): string {
		return (string) ( $this->fields['status'] ?? '' );
	}

	/**
	 * Unix seconds the action is (or was) due, null for none.
	 */
	public function get_scheduled_timestamp(): ?int {
		return isset( $this->fields['scheduled_timestamp'] ) ? (int) $this->fields['scheduled_timestamp'] : null;
	}

	public function is_finished(): bool {
		return in_array( $this->get_status(), array( 'complete', 'failed', 'canceled' ), true );
	}

	/**
	 * @return array<string, mixed> Every field the sidecar sent.
	 */
	public function to_array(): array {
		return $this->fields;
	}
}
