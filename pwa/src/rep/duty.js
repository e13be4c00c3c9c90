// The rep's duty schedule, judged on the phone too (docs/privacy.md): off duty, no fix is sent and no card is
// decided from location, online or offline; the server refuses such fixes all the same (off_duty).

/** Is `ms` inside the schedule ({days: ISO weekdays, start, end: "HH:MM"}) in the server's time zone? */
export function withinDuty(schedule, ms, timeZone = "Asia/Shanghai") {
  if (!schedule) return true;
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday) + 1;
  const hhmm = `${parts.hour}:${parts.minute}`;
  return schedule.days.includes(day) && schedule.start <= hhmm && hhmm < schedule.end;
}
