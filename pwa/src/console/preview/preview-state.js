// The preview's question, kept while the manager moves between screens: change a rule, come back, ask again.
import { reactive } from "vue";

export const TIME_ZONE = "Asia/Shanghai";
const OFFSET = "+08:00";

/** "2026-11-23T09:30" (a datetime-local value, read as Asia/Shanghai time) → "2026-11-23T09:30:00+08:00". */
export function toAware(local) {
  if (!local) return null;
  const [date, time = "00:00"] = local.split("T");
  return `${date}T${time.length === 5 ? `${time}:00` : time}${OFFSET}`;
}

/** Now (or `date`) as a datetime-local value in Asia/Shanghai time. */
export function localNow(date = new Date()) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The day (YYYY-MM-DD) of `date` in Asia/Shanghai. */
export function localDay(date = new Date()) {
  return localNow(date).slice(0, 10);
}

export const previewState = reactive({ repId: "", placeId: null, event: "enter_place", at: "", card: null, error: null,
  asked: null });
