import { ProjectError } from "./errors.ts";
import { shellQuote } from "./shell-quote.ts";

/** A piece of a command template: literal text, or a `{parameter}` to fill in. */
export type TemplatePart = { text: string } | { parameter: string };

/**
 * Splits a command template as Python's `str.format` reads it (MLflow fills templates with
 * it): `{name}` is a parameter, `{{` and `}}` are literal braces. A lone brace or an empty
 * `{}` is an error.
 *
 * @example
 * parseCommandTemplate("node train.js {epochs} --lr {lr}");
 * // [{ text: "node train.js " }, { parameter: "epochs" }, { text: " --lr " }, { parameter: "lr" }]
 */
export function parseCommandTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === "{" && template[i + 1] === "{") {
      text += "{";
      i++;
    } else if (char === "}" && template[i + 1] === "}") {
      text += "}";
      i++;
    } else if (char === "{") {
      const end = template.indexOf("}", i + 1);
      const field = end < 0 ? "" : template.slice(i + 1, end);
      if (end < 0 || field.includes("{"))
        throw new ProjectError(
          `command '${template}': the '{' at position ${i} is not closed; write '{{' for a literal brace`,
        );
      if (field.trim() === "")
        throw new ProjectError(
          `command '${template}': empty '{}' at position ${i}; name a parameter, as in {epochs}`,
        );
      if (text) parts.push({ text });
      text = "";
      parts.push({ parameter: field });
      i = end;
    } else if (char === "}") {
      throw new ProjectError(
        `command '${template}': a lone '}' at position ${i}; write '}}' for a literal brace`,
      );
    } else {
      text += char;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

/**
 * The parameter names a template refers to, each once, in order of first use.
 *
 * @example
 * templateParameters("train {epochs} --lr {lr} --again {epochs}"); // ["epochs", "lr"]
 */
export function templateParameters(template: string): string[] {
  const names = parseCommandTemplate(template).flatMap((part) =>
    "parameter" in part ? [part.parameter] : [],
  );
  return [...new Set(names)];
}

/** Flag names an extra `-P key=value` may become: `--key value` must stay one flag. */
const flagName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Checks that an extra parameter's key can become a `--key` flag safely (it is written into
 * the command unquoted, so only letters, digits, `_`, `.` and `-` are allowed).
 *
 * @example
 * isFlagName("batch_size"); // true
 * isFlagName("a;rm -rf");   // false
 */
export const isFlagName = (key: string): boolean => flagName.test(key);

/**
 * Fills a command template: each `{name}` gets the shell-quoted value, and each extra
 * parameter (a `-P` value the entry point does not declare) is appended as `--key value`,
 * as MLflow does.
 *
 * @example
 * renderCommand("node train.js {epochs} --note {note}", { epochs: "5", note: "a b" }, [
 *   ["seed", "42"],
 * ]);
 * // "node train.js 5 --note 'a b' --seed 42"
 */
export function renderCommand(
  template: string,
  values: Readonly<Record<string, string>>,
  extra: readonly (readonly [key: string, value: string])[] = [],
): string {
  const filled = parseCommandTemplate(template)
    .map((part) => {
      if ("text" in part) return part.text;
      const value = Object.hasOwn(values, part.parameter) ? values[part.parameter] : undefined;
      if (value === undefined)
        throw new ProjectError(
          `command '${template}' refers to {${part.parameter}}, which has no value`,
        );
      return shellQuote(value);
    })
    .join("");
  const flags = extra.map(([key, value]) => {
    if (!isFlagName(key))
      throw new ProjectError(
        `-P ${key}=…: an undeclared parameter becomes '--${key}', so its name may only hold letters, digits, '_', '.' and '-'`,
      );
    return `--${key} ${shellQuote(value)}`;
  });
  return [filled, ...flags].join(" ");
}
