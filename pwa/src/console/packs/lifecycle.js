// What the review screen offers for a version: its status tags, the steps its status allows (the server's
// table of transitions in docs/packs-api.md, mirrored for the buttons; the server still decides) and what the
// second pair of eyes still needs. Pure functions over the API's version JSON.

export const STATUSES = ["draft", "in_review", "published", "scheduled", "expired", "rejected", "superseded"];

/** Vant tag type per status (colour): live green, waiting orange, refused red, history plain. */
export const STATUS_TYPE = { draft: "default", in_review: "warning", published: "success", scheduled: "primary",
  expired: "default", rejected: "danger", superseded: "default" };

/** A version's status, with "scheduled" for an in-review version that has a publishing time. */
export function displayStatus(version) {
  if (!version) return null;
  if (version.status === "in_review" && (version.publish_at || version.scheduled)) return "scheduled";
  return version.status;
}

/** The tags of a version: its status, plus "scheduled" when a live version has an expiry set. */
export function statusTags(version) {
  const main = displayStatus(version);
  const tags = main ? [main] : [];
  if (version?.status === "published" && version.expires_at) tags.push("expiring");
  return tags;
}

/** The steps a version's status allows: submit, approve, reject, publish, schedule, expire, rollback. */
export function allowedSteps(version) {
  switch (version?.status) {
    case "draft": return ["submit"];
    case "in_review": return ["approve", "reject", "publish", "schedule"];
    case "published": return ["expire"];
    case "superseded": case "expired": return ["rollback"];
    default: return [];
  }
}

/**
 * Where the review stands for `me`: "approved" (someone else approved it), "needs_other" (a second reviewer is
 * required and I am the author, so another manager must approve), "can_approve" (I may approve it), or null.
 * Read from the server's `review` block when it has one.
 */
export function reviewState(version, me) {
  if (version?.status !== "in_review") return null;
  const review = version.review || {};
  if (review.approved || version.approved_by) return "approved";
  const author = version.created_by?.id ?? version.created_by_id;
  const submitter = version.submitted_by?.id;
  const mine = me != null && (author === me || submitter === me);
  if (review.required && mine) return "needs_other";
  return "can_approve";
}

/** The version a pack's page opens first: the newest one still moving (draft or in review), else the live one, else the latest. */
export function defaultVersion(versions) {
  const list = [...(versions || [])].sort((a, b) => b.number - a.number);
  return list.find((v) => v.status === "draft" || v.status === "in_review")
    || list.find((v) => v.status === "published") || list[0] || null;
}

/** The versions a diff compares by default: the one shown and the one it was based on (else the one before it). */
export function defaultDiffPair(versions, shown) {
  const numbers = (versions || []).map((v) => v.number).sort((a, b) => a - b);
  if (numbers.length < 2) return { from: null, to: numbers[0] ?? null };
  const to = shown?.number ?? numbers[numbers.length - 1];
  const from = shown?.based_on && shown.based_on !== to ? shown.based_on
    : numbers.filter((n) => n < to).pop() ?? numbers.find((n) => n !== to);
  return { from, to };
}

/** `datetime-local` input value (local time) ↔ ISO 8601 with the browser's offset, as the schedule endpoint takes. */
export function localInputValue(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function isoFromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
