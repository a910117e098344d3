<?php
/**
 * One call of the run endpoint, as the sidecar sends it.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * The body `{action_id, hook, args, group, attempt, claim_id}`, checked and
 * typed. Kept apart from the REST handler so the parsing and the replay key
 * are unit-tested without WordPress.
 */
final class Delivery {

	/**
	 * The sidecar's claim ids are UUIDs; anything of this shape is accepted so
	 * that the key stays a short, safe option name whatever the sidecar sends.
	 */
	private const CLAIM_ID_PATTERN = '/^[A-Za-z0-9-]{1,64}$/';

	/**
	 * @param int         $action_id Sidecar action id.
	 * @param int         $attempt   Attempt number, 1 for the first.
	 * @param string      $hook      Hook to run.
	 * @param array       $args      Decoded args (list or map).
	 * @param string|null $claim_id  Id of the claim this dispatch belongs to; null when the sidecar sent none.
	 */
	private function __construct(
		public readonly int $action_id,
		public readonly int $attempt,
		public readonly string $hook,
		public readonly array $args,
		public readonly ?string $claim_id
	) {
	}

	/**
	 * @param string $body Raw request body.
	 * @return Delivery|WP_Error Errors carry HTTP status 400.
	 */
	public static function from_json( string $body ) {
		$data = json_decode( $body, true );
		if ( ! is_array( $data ) ) {
			return self::refuse( 'The body is not a JSON object.' );
		}
		$hook = $data['hook'] ?? null;
		if ( ! is_string( $hook ) || '' === $hook ) {
			return self::refuse( 'The body has no hook.' );
		}
		if ( ! is_int( $data['action_id'] ?? null ) || ! is_int( $data['attempt'] ?? null ) ) {
			return self::refuse( 'action_id and attempt must be integers.' );
		}
		$args = $data['args'] ?? array();
		if ( ! is_array( $args ) ) {
			return self::refuse( 'args must be a JSON array or object.' );
		}
		$claim_id = $data['claim_id'] ?? null;
		if ( null !== $claim_id && ( ! is_string( $claim_id ) || ! preg_match( self::CLAIM_ID_PATTERN, $claim_id ) ) ) {
			return self::refuse( 'claim_id must be a UUID.' );
		}
		return new self( $data['action_id'], $data['attempt'], $hook, $args, null === $claim_id ? null : strtolower( $claim_id ) );
	}

	/**
	 * What the replay memory remembers this delivery by.
	 *
	 * The claim when the sidecar names it: the sidecar's runner does not spend
	 * an attempt on a snooze or when a lease expires, so the same
	 * (action_id, attempt) is legitimately dispatched again within minutes,
	 * each time under a new claim. A captured request replayed as is keeps
	 * its claim id (changing it breaks the signature), so keying on the claim
	 * still refuses every replay. Without a claim id (an older sidecar) the
	 * attempt number is all there is.
	 */
	public function replay_key(): string {
		return null === $this->claim_id
			? $this->action_id . '_' . $this->attempt
			: $this->action_id . '_c' . $this->claim_id;
	}

	/**
	 * For messages: which dispatch this was.
	 */
	public function describe(): string {
		return null === $this->claim_id
			? sprintf( 'Attempt %d of action %d', $this->attempt, $this->action_id )
			: sprintf( 'Claim %s (attempt %d) of action %d', $this->claim_id, $this->attempt, $this->action_id );
	}

	private static function refuse( string $message ): WP_Error {
		return new WP_Error( 'wecoza_sidecar_bad_request', $message, array( 'status' => 400 ) );
	}
}
