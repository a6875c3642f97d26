/** Characters that need no quoting in a POSIX shell word (Python's `shlex.quote` set). */
const safeWord = /^[\w@%+=:,./-]+$/;

/**
 * Quotes a value as one POSIX shell word, as Python's `shlex.quote` does (and so MLflow):
 * words of safe characters stay as they are, anything else goes in single quotes, with each
 * `'` written as `'"'"'`. The empty string becomes `''`.
 *
 * @example
 * shellQuote("0.01");        // 0.01
 * shellQuote("hello world"); // 'hello world'
 * shellQuote("it's");        // 'it'"'"'s'
 * shellQuote("");            // ''
 */
export function shellQuote(value: string): string {
  if (value === "") return "''";
  if (safeWord.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}
