// What the rep does becomes an outbox event; sent at once when the socket is up, else on reconnect. A phone
// whose storage is full cannot keep it: the rep is told at once, in their language, rather than losing it.
import { showToast } from "vant";
import { currentLocale } from "@/core/i18n";
import { flush, record } from "@/core/outbox";
import { link } from "@/core/socket";
import { errorText } from "@/core/why";
import { app } from "@/shell/app-state";

export async function act(type, options) {
  let event;
  try {
    event = await record(type, options);
  } catch (err) {
    showToast({ message: errorText(err.code || "storage_full", currentLocale()), duration: 4000 });
    throw err;
  }
  if (app.online && link.connected) flush();
  return event;
}
