// The pack checker's messages (content_packs/schema.py, marshmallow: the words of `flask packs validate`) in the
// manager's language. The server answers in English; each known sentence is matched and rendered from the
// catalogue (app.console.packs.check.*) with its values; an unknown one is shown as the server wrote it.
import { message } from "@/core/why";

const PATTERNS = [
  [/^Length must be at least (\d+)$/, "min_length", (m) => ({ n: m[1] })],
  [/^Must not be blank$/, "blank"],
  [/^Missing data for required field$/, "required"],
  [/^Field may not be null$/, "required"],
  [/^Unknown field$/, "unknown_field"],
  [/^Must be one of: (.+)$/, "one_of", (m) => ({ choices: m[1] })],
  [/^Must be kebab-case/, "kebab"],
  [/^Must be snake_case$/, "snake"],
  [/^Must be a short code such as A or B$/, "variant_code"],
  [/^Must be a positive integer$/, "positive"],
  [/^Must be an integer$/, "integer"],
  [/^Must be at least (\d+)$/, "at_least", (m) => ({ n: m[1] })],
  [/^Must be a date in the form YYYY-MM-DD$/, "date"],
  [/^Must be a date \(YYYY-MM-DD\), not a date and time$/, "date"],
  [/^Not a valid (list|string|mapping type|integer)$/, "type"],
  [/^Invalid input type$/, "type"],
  [/^Duplicate id '([^']+)' \(first used at ([^)]+)\)$/, "duplicate_id", (m) => ({ id: m[1], at: m[2] })],
  [/^Duplicate variant id '([^']+)'$/, "duplicate_variant", (m) => ({ id: m[1] })],
  [/^Not among the pack's categories: (.+)$/, "not_pack_category", (m) => ({ keys: m[1] })],
  [/^Invalid YAML: (.+)$/, "yaml", (m) => ({ detail: m[1] })],
];

/** One checker message in `locale` (the server's English when it is not one we know). */
export function messageText(text, locale) {
  const raw = String(text ?? "").replace(/\.$/, "");
  for (const [re, key, facts] of PATTERNS) {
    const m = raw.match(re);
    if (m) return message(`app.console.packs.check.${key}`, locale, facts ? facts(m) : {});
  }
  return raw;
}

export const CHECK_KEYS = [...new Set(PATTERNS.map(([, key]) => key))];
