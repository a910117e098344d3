<?php
/**
 * What the bridge's two list tables share: a page read from the sidecar, its failure shown in the
 * table, and core's view links.
 *
 * Loaded with them, on their screens only, after WP_List_Table.
 *
 * @package WeCoza\Sidecar
 */

namespace WeCoza\Sidecar;

/**
 * A list table whose rows come from one sidecar call per page.
 */
abstract class Sidecar_List_Table extends \WP_List_Table {

	protected ?\WP_Error $error = null;

	/**
	 * @param Client $client   The sidecar.
	 * @param string $singular Core's singular label.
	 * @param string $plural   Core's plural label.
	 */
	public function __construct( protected Client $client, string $singular, string $plural ) {
		parent::__construct(
			array(
				'singular' => $singular,
				'plural'   => $plural,
				'ajax'     => false,
			)
		);
	}

	/**
	 * What the table says when nothing matches (and the sidecar answered).
	 */
	abstract protected function empty_message(): string;

	/**
	 * Take the rows and total of one page, or the sidecar's failure (then the table shows it).
	 *
	 * @param array|\WP_Error $answer   The client's answer.
	 * @param string          $key      The rows' key in it.
	 * @param int             $per_page Page size.
	 */
	protected function take_page( $answer, string $key, int $per_page ): void {
		if ( \is_wp_error( $answer ) ) {
			$this->error = $answer;
			$this->items = array();
			$this->set_pagination_args( array( 'total_items' => 0, 'per_page' => $per_page ) );
			return;
		}
		$this->items = array_values( array_filter( (array) ( $answer[ $key ] ?? array() ), 'is_array' ) );
		$this->set_pagination_args(
			array(
				'total_items' => (int) ( $answer['total'] ?? 0 ),
				'per_page'    => $per_page,
			)
		);
	}

	public function no_items(): void {
		if ( null !== $this->error ) {
			echo \esc_html(
				sprintf(
					/* translators: %s: error message. */
					\__( 'The sidecar did not answer: %s', 'wecoza-sidecar' ),
					$this->error->get_error_message()
				)
			);
			return;
		}
		echo \esc_html( $this->empty_message() );
	}

	/**
	 * One of core's view links (`All (3) | Pending (2)`), marked when it is the current one.
	 */
	protected static function view_link( string $url, bool $current, string $label, ?int $count = null ): string {
		return sprintf(
			'<a href="%1$s"%2$s>%3$s%4$s</a>',
			\esc_url( $url ),
			$current ? ' class="current" aria-current="page"' : '',
			\esc_html( $label ),
			null === $count ? '' : ' <span class="count">(' . \esc_html( \number_format_i18n( $count ) ) . ')</span>'
		);
	}

	/**
	 * @param array<string, mixed> $item        One row.
	 * @param string               $column_name Column.
	 */
	protected function column_default( $item, $column_name ): string {
		return \esc_html( is_scalar( $item[ $column_name ] ?? null ) ? (string) $item[ $column_name ] : '' );
	}
}
