// Which console screen is open (in the URL hash, so reload and back keep it) and whether the manager
// switched to the field view (the rep's screens).
import { reactive } from "vue";

const PREFIX = "#/console/";

function fromHash() {
  return location.hash.startsWith(PREFIX) ? location.hash.slice(PREFIX.length).split("?")[0] : null;
}

export const consoleView = reactive({
  screen: fromHash() || "packs",
  fieldView: false,
  open(key) {
    consoleView.screen = key;
    consoleView.fieldView = false;
    if (fromHash() !== key) history.pushState(null, "", PREFIX + key);
  },
});

window.addEventListener("popstate", () => { consoleView.screen = fromHash() || "packs"; });
