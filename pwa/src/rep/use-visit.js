// Which visit sheet is open: from a card (tap), a dwell suggestion, or by hand from the plan (manual).
import { reactive } from "vue";

export const visit = reactive({ show: false, place: null, popupId: null, method: "tap" });

export function openVisit(place, method = "tap", popupId = null) {
  Object.assign(visit, { show: true, place, popupId, method });
}
