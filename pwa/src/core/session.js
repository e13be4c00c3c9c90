// Who is logged in: the token and user live in localStorage (small, synchronous, survives reloads offline).
import { reactive } from "vue";
import { STORAGE_TOKEN, STORAGE_USER } from "@/constants";

function readUser() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_USER) || "null");
  } catch {
    return null;
  }
}

export const session = reactive({
  token: localStorage.getItem(STORAGE_TOKEN),
  user: readUser(),
  expired: null,
});

export function setSession(token, user) {
  session.token = token;
  session.user = user;
  localStorage.setItem(STORAGE_TOKEN, token);
  localStorage.setItem(STORAGE_USER, JSON.stringify(user));
}

/** The token is no longer good: ask for a login, but keep who it was (and everything stored offline). */
export function expireSession(reason) {
  session.token = null;
  session.expired = reason;
  localStorage.removeItem(STORAGE_TOKEN);
}

export function clearSession() {
  session.token = null;
  session.user = null;
  localStorage.removeItem(STORAGE_TOKEN);
  localStorage.removeItem(STORAGE_USER);
}
