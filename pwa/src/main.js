import { createApp } from "vue";
import Vant from "@/shell/vant";
import "@/styles.css"; // after Vant's styles: our theme variables win
import App from "@/App.vue";
import { applyLocale, currentLocale, i18n } from "@/core/i18n";
import { registerServiceWorker } from "@/shell/use-updates";

applyLocale(currentLocale());
createApp(App).use(i18n).use(Vant).mount("#app");
registerServiceWorker();

// Read-only handles for the browser tests and for support staff in devtools ("what does the phone think?").
Promise.all([import("@/rep/use-field"), import("@/core/socket"), import("@/core/sync"), import("@/core/outbox")])
  .then(([f, s, b, o]) => { window.__battlemap = { field: f.field, link: s.link, bundle: b.bundleState, outbox: o.outboxState }; });
