// What the rep does becomes an outbox event; sent at once when the socket is up, else on reconnect.
import { flush, record } from "@/core/outbox";
import { link } from "@/core/socket";
import { app } from "@/shell/app-state";

export async function act(type, options) {
  const event = await record(type, options);
  if (app.online && link.connected) flush();
  return event;
}
