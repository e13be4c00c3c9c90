// Which console screen is open (in the URL hash, so reload and back keep it) and whether the manager
// switched to the field view (the rep's screens).
import { reactive } from "vue";

const PREFIX = "#/console/";
const FIRST = "insights"; // the first screen of the menu (screens.js): where a manager lands

function fromHash() {
  return location.hash.startsWith(PREFIX) ? location.hash.slice(PREFIX.length).split("?")[0] : null;
}

export const consoleView = reactive({
  screen: fromHash() || FIRST,
  fieldView: false,
  open(key) {
    consoleView.screen = key;
    consoleView.fieldView = false;
    if (fromHash() !== key) history.pushState(null, "", PREFIX + key);
  },
});

window.addEventListener("popstate", () => { consoleView.screen = fromHash() || FIRST; });
