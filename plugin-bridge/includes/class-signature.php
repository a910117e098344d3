<?php
/**
 * The HMAC that authenticates the sidecar's calls to WordPress.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

use WP_Error;

/**
 * `X-Sidecar-Signature: sha256=<hex>` where hex is HMAC-SHA256 over
 * "<timestamp>.<raw body>" with the shared callback secret, and
 * `X-Sidecar-Timestamp` is unix seconds. Signing the timestamp together with
 * the body stops an old, validly signed request from being re-sent later
 * with a fresh timestamp.
 */
final class Signature {

	/**
	 * Seconds either side of our clock a timestamp may be: enough for clock
	 * skew and a slow network, short enough that a captured request soon dies.
	 */
	public const WINDOW_SECONDS = 300;

	private const PREFIX = 'sha256=';

	/**
	 * The header value for a body, as the sidecar computes it.
	 */
	public static function sign( string $secret, string $timestamp, string $body ): string {
		return self::PREFIX . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
	}

	/**
	 * @param string      $secret    Shared callback secret.
	 * @param string|null $timestamp X-Sidecar-Timestamp header.
	 * @param string|null $signature X-Sidecar-Signature header.
	 * @param string      $body      Raw request body, byte for byte.
	 * @param int         $now       Our clock, unix seconds.
	 * @return true|WP_Error Errors carry HTTP status 401.
	 */
	public static function verify( string $secret, ?string $timestamp, ?string $signature, string $body, int $now ) {
		if ( '' === $secret ) {
			return self::refuse( 'wecoza_sidecar_no_secret', 'No callback secret is configured, so no request can be trusted.' );
		}
		$timestamp = trim( (string) $timestamp );
		if ( '' === $timestamp || ! ctype_digit( $timestamp ) ) {
			return self::refuse( 'wecoza_sidecar_bad_timestamp', 'The X-Sidecar-Timestamp header is missing or not unix seconds.' );
		}
		// Compared before the HMAC so a stale request costs us no hashing.
		if ( abs( $now - (int) $timestamp ) > self::WINDOW_SECONDS ) {
			return self::refuse( 'wecoza_sidecar_stale_timestamp', 'The request timestamp is outside the accepted window.' );
		}
		$signature = strtolower( trim( (string) $signature ) );
		if ( ! str_starts_with( $signature, self::PREFIX ) ) {
			return self::refuse( 'wecoza_sidecar_bad_signature', 'The X-Sidecar-Signature header is missing or malformed.' );
		}
		if ( ! hash_equals( self::sign( $secret, $timestamp, $body ), $signature ) ) {
			return self::refuse( 'wecoza_sidecar_bad_signature', 'The request signature does not match.' );
		}
		return true;
	}

	private static function refuse( string $code, string $message ): WP_Error {
		return new WP_Error( $code, $message, array( 'status' => 401 ) );
	}
}
