// One ticking clock for "synced 5 min ago" labels (a timer per component would keep ticking after unmount).
import { ref } from "vue";

const now = ref(Date.now());
let timer = null;

export function useNow() {
  if (!timer) timer = setInterval(() => { now.value = Date.now(); }, 30_000);
  return now;
}
