/** A filter or ordering that does not parse: where, what was expected, and what was found. */
export class SearchSyntaxError extends Error {
  override readonly name = "SearchSyntaxError";
  readonly position: number;
  readonly expected: string;

  constructor(options: { source: string; position: number; expected: string; found: string }) {
    super(
      `at position ${options.position + 1}: expected ${options.expected}, found ${options.found}` +
        ` in '${options.source}'`,
    );
    this.position = options.position;
    this.expected = options.expected;
  }
}
