<?php
/**
 * The Notifications list's filter, read from a request and written as the sidecar's parameters.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * One reading of the filter for the list (GET /v1/notifications) and the bulk redrive
 * (POST /v1/notifications/redrive), so "matching this filter" means the same rows in both.
 * Values the sidecar would refuse are dropped here rather than turned into an error page.
 */
final class Notifications_Filter {

	public const STATES = array( 'pending', 'enriching', 'sending', 'sent', 'failed', 'skipped' );

	private function __construct(
		public readonly string $state,
		public readonly string $operation,
		public readonly int $class_id,
		public readonly string $search
	) {
	}

	/**
	 * @param array<string, mixed> $source $_GET or $_POST.
	 */
	public static function from_request( array $source ): self {
		$read   = static fn( string $key ): string => isset( $source[ $key ] ) && is_scalar( $source[ $key ] ) ? trim( \sanitize_text_field( \wp_unslash( (string) $source[ $key ] ) ) ) : '';
		$states = array_values( array_intersect( self::STATES, explode( ',', $read( 'state' ) ) ) );
		$op     = strtoupper( $read( 'operation' ) );
		return new self(
			implode( ',', $states ),
			1 === preg_match( '/^[A-Z][A-Z0-9_]{0,63}$/', $op ) ? $op : '',
			ctype_digit( $read( 'class_id' ) ) ? (int) $read( 'class_id' ) : 0,
			mb_substr( $read( 's' ), 0, 191 )
		);
	}

	/**
	 * Query parameters of GET /v1/notifications (without paging).
	 *
	 * @return array<string, scalar>
	 */
	public function to_query(): array {
		$query = $this->to_body();
		if ( '' !== $this->state ) {
			$query['state'] = $this->state;
		}
		return $query;
	}

	/**
	 * Body keys of POST /v1/notifications/redrive besides `state`.
	 *
	 * @return array<string, scalar>
	 */
	public function to_body(): array {
		$body = array();
		if ( '' !== $this->operation ) {
			$body['operation'] = $this->operation;
		}
		if ( $this->class_id > 0 ) {
			$body['class_id'] = $this->class_id;
		}
		if ( '' !== $this->search ) {
			$body['search'] = $this->search;
		}
		return $body;
	}

	/**
	 * @return array<string, string>
	 */
	public static function state_labels(): array {
		return array(
			'pending'   => \__( 'Pending', 'wecoza-sidecar' ),
			'enriching' => \__( 'Enriching', 'wecoza-sidecar' ),
			'sending'   => \__( 'Sending', 'wecoza-sidecar' ),
			'sent'      => \__( 'Sent', 'wecoza-sidecar' ),
			'failed'    => \__( 'Failed', 'wecoza-sidecar' ),
			'skipped'   => \__( 'Skipped', 'wecoza-sidecar' ),
		);
	}

	/**
	 * A reason code in words.
	 */
	public static function reason_label( string $reason ): string {
		$labels = array(
			'no_recipient'       => \__( 'no recipient for this operation', 'wecoza-sidecar' ),
			'delivery_failed'    => \__( 'a delivery failed', 'wecoza-sidecar' ),
			'source_row_missing' => \__( 'the class change log row is gone', 'wecoza-sidecar' ),
		);
		return $labels[ $reason ] ?? $reason;
	}
}
