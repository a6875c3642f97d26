import { SearchSyntaxError } from "./errors.ts";

export type TokenType =
  | "word"
  | "number"
  | "string"
  | "quoted"
  | "operator"
  | "lparen"
  | "rparen"
  | "comma"
  | "end";

export interface Token {
  type: TokenType;
  /** The text, unquoted for strings and quoted identifiers. */
  text: string;
  position: number;
}

const operatorPattern = /^(<=|>=|!=|<>|==|=|<|>)/;
const numberPattern = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/;
// Bare words: identifiers like `metrics.val_loss`, `params.lr/decay`, `metrics.` (before a quoted
// key), and keywords (and, or, in, like…). The parser splits the prefix off at the first dot.
const wordPattern = /^[\p{L}_][\p{L}\p{N}_\-/:.]*/u;

function readQuoted(source: string, start: number, quote: string): { text: string; end: number } {
  let text = "";
  let i = start + 1;
  while (i < source.length) {
    const char = source[i];
    if (char === quote) {
      // A doubled quote stands for one quote character, as in SQL.
      if (source[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    if (char === "\\" && i + 1 < source.length) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    text += char;
    i++;
  }
  throw new SearchSyntaxError({
    source,
    position: start,
    expected: `a closing ${quote}`,
    found: "the end of the filter",
  });
}

/** Splits filter text into tokens; strings come out unquoted, with doubled quotes undone. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const char = source[i] ?? "";
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === "'" || char === '"' || char === "`") {
      const { text, end } = readQuoted(source, i, char);
      // Single quotes make string values; backticks and double quotes may also quote keys.
      tokens.push({ type: char === "'" ? "string" : "quoted", text, position: i });
      i = end;
      continue;
    }
    if (char === "(" || char === ")" || char === ",") {
      const type = char === "(" ? "lparen" : char === ")" ? "rparen" : "comma";
      tokens.push({ type, text: char, position: i });
      i++;
      continue;
    }
    const operator = operatorPattern.exec(rest);
    if (operator) {
      tokens.push({ type: "operator", text: operator[0], position: i });
      i += operator[0].length;
      continue;
    }
    const number = numberPattern.exec(rest);
    if (number && !/^[\p{L}_]/u.test(rest.slice(number[0].length))) {
      tokens.push({ type: "number", text: number[0], position: i });
      i += number[0].length;
      continue;
    }
    const word = wordPattern.exec(rest);
    if (word) {
      tokens.push({ type: "word", text: word[0], position: i });
      i += word[0].length;
      continue;
    }
    throw new SearchSyntaxError({
      source,
      position: i,
      expected: "a key, a value, an operator or a parenthesis",
      found: `'${char}'`,
    });
  }
  tokens.push({ type: "end", text: "", position: source.length });
  return tokens;
}
