// Names and numbers the client shares across modules: storage keys, socket events, timeouts (unit in the name).

export const STORAGE_TOKEN = "bm.token";
export const STORAGE_USER = "bm.user";
export const STORAGE_LANG = "bm.lang";
export const STORAGE_TILES = "bm.tiles";

export const DB_NAME = "battlemap";

export const SOCKET_NAMESPACE = "/field";
export const EV_LOCATION = "location";
export const EV_POPUP = "popup";
export const EV_PACK_UPDATED = "pack.updated";
export const EV_TRACK_RESET = "track.reset";
export const EV_COACHING_CARD = "coaching.card";

export const ACK_TIMEOUT_MS = 8000;
export const OUTBOX_BATCH = 100;
export const BUNDLE_REFRESH_MS = 15 * 60 * 1000;
export const UPDATE_CHECK_MS = 60 * 60 * 1000;
export const FENCE_STATE_SAVE_MS = 1000;
export const NEARBY_RADIUS_M = 3000;
export const HISTORY_KEEP_DAYS = 7;

export const OUTCOMES = ["advanced", "won", "lost", "no_decision"];
export const RATINGS = ["helpful", "not_helpful", "used", "dismissed"];
export const DISMISS_REASONS = ["not_relevant", "already_known", "wrong_client", "outdated", "other"];
export const COMPONENT_KINDS = ["talk_tracks", "counters", "solution_hints", "local_cases", "personas", "compliance_notes"];
export const PLAN_KINDS = ["talk_tracks", "counters", "local_cases", "solution_hints"];
