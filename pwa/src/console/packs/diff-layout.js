// The server's pack diff (app/services/pack_diff.py: unified-diff lines for list fields, {from, to} for the
// others) laid out as rows of two columns — old on the left, new on the right — with the changed part of a
// changed line marked. Pure: the DiffView draws what these return.

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Unified-diff lines → side-by-side rows. A run of removed lines followed by a run of added lines is paired
 * row by row ("change"); the rest are "del", "add", "same" or "hunk" rows. Each side is
 * `{n, text, parts?}` or null (nothing on that side); `parts` marks what changed within a paired line.
 */
export function sideBySide(lines) {
  const rows = [];
  let left = 0;
  let right = 0;
  let dels = [];
  let adds = [];
  const flush = () => {
    const n = Math.max(dels.length, adds.length);
    for (let i = 0; i < n; i += 1) {
      const a = dels[i];
      const b = adds[i];
      if (a && b) {
        const [pa, pb] = inlineParts(a.text, b.text);
        rows.push({ type: "change", left: { ...a, parts: pa }, right: { ...b, parts: pb } });
      } else {
        rows.push(a ? { type: "del", left: a, right: null } : { type: "add", left: null, right: b });
      }
    }
    dels = [];
    adds = [];
  };
  for (const line of lines || []) {
    const hunk = line.match(HUNK);
    if (hunk) {
      flush();
      left = Number(hunk[1]);
      right = Number(hunk[3]);
      rows.push({ type: "hunk", left: null, right: null, text: line });
    } else if (line.startsWith("-")) {
      if (adds.length) flush();
      dels.push({ n: left, text: line.slice(1) });
      left += 1;
    } else if (line.startsWith("+")) {
      adds.push({ n: right, text: line.slice(1) });
      right += 1;
    } else {
      flush();
      const text = line.startsWith(" ") ? line.slice(1) : line;
      rows.push({ type: "same", left: { n: left, text }, right: { n: right, text } });
      left += 1;
      right += 1;
    }
  }
  flush();
  return rows;
}

/**
 * What changed inside one line: the common beginning and end stay plain, the middle is marked. Works by
 * characters, so it suits Chinese (no spaces between words) as well as English.
 */
export function inlineParts(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start += 1;
  let end = 0;
  while (end < x.length - start && end < y.length - start && x[x.length - 1 - end] === y[y.length - 1 - end]) end += 1;
  const split = (chars) => [
    { text: chars.slice(0, start).join(""), changed: false },
    { text: chars.slice(start, chars.length - end).join(""), changed: true },
    { text: chars.slice(chars.length - end).join(""), changed: false },
  ].filter((p) => p.text);
  return [split(x), split(y)];
}

/** A scalar or structured field value as one line of text (lists joined, objects as key: value). */
export function valueText(value, sep = "、") {
  if (value == null) return "";
  if (Array.isArray(value)) return value.map((v) => valueText(v, sep)).join(sep);
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${k}: ${valueText(v, sep)}`).join("; ");
  }
  return String(value);
}

/** One field change → its rows: unified lines side by side, or one changed row for {from, to}. */
export function fieldRows(change, sep) {
  if (Array.isArray(change.lines)) return sideBySide(change.lines);
  const a = valueText(change.from, sep);
  const b = valueText(change.to, sep);
  if (!a) return [{ type: "add", left: null, right: { n: null, text: b } }];
  if (!b) return [{ type: "del", left: { n: null, text: a }, right: null }];
  const [pa, pb] = inlineParts(a, b);
  return [{ type: "change", left: { n: null, text: a, parts: pa }, right: { n: null, text: b, parts: pb } }];
}

/** The lines a whole component shows when it was added or removed (from the version's body, when known). */
export function componentLines(item) {
  if (!item) return [];
  const out = [];
  for (const [key, value] of Object.entries(item)) {
    if (key === "id" || key === "copied_from") continue;
    if (Array.isArray(value)) {
      for (const v of value) {
        if (v && typeof v === "object" && "objection" in v) out.push(`${key}: ${v.objection} → ${v.response}`);
        else if (v && typeof v === "object" && Array.isArray(v.lines)) {
          for (const line of v.lines) out.push(`${key}: [${v.id} ×${v.weight}] ${line}`);
        } else out.push(`${key}: ${valueText(v)}`);
      }
    } else out.push(`${key}: ${valueText(value)}`);
  }
  return out;
}

function find(body, kind, id) {
  return (body?.[kind] || []).find((c) => c.id === id) || null;
}

/**
 * The whole diff as sections to draw: the pack's own fields first, then each component (changed, added,
 * removed) in the order of the kinds, each with its field blocks of side-by-side rows.
 */
export function layoutDiff(diff, { fromBody = null, toBody = null, kinds = [], sep } = {}) {
  if (!diff) return [];
  const order = (kind) => (kinds.includes(kind) ? kinds.indexOf(kind) : kinds.length);
  const sections = [];
  if (diff.pack?.length) {
    sections.push({ key: "pack", status: "changed", kind: null, id: null, title: null,
      fields: diff.pack.map((c) => ({ field: c.field, rows: fieldRows(c, sep) })) });
  }
  const comps = [];
  for (const c of diff.components?.changed || []) {
    comps.push({ ...c, status: "changed", fields: (c.fields || []).map((f) => ({ field: f.field, rows: fieldRows(f, sep) })) });
  }
  for (const c of diff.components?.added || []) {
    const rows = componentLines(find(toBody, c.kind, c.id)).map((text) => ({ type: "add", left: null, right: { n: null, text } }));
    comps.push({ ...c, status: "added", fields: rows.length ? [{ field: null, rows }] : [] });
  }
  for (const c of diff.components?.removed || []) {
    const rows = componentLines(find(fromBody, c.kind, c.id)).map((text) => ({ type: "del", left: { n: null, text }, right: null }));
    comps.push({ ...c, status: "removed", fields: rows.length ? [{ field: null, rows }] : [] });
  }
  comps.sort((a, b) => order(a.kind) - order(b.kind));
  for (const c of comps) {
    const copied = c.copied_from || find(toBody, c.kind, c.id)?.copied_from || null;
    sections.push({ key: `${c.kind}/${c.id}`, status: c.status, kind: c.kind, id: c.id, title: c.title, fields: c.fields,
      copied_from: copied });
  }
  return sections;
}
