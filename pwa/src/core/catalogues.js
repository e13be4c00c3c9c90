// The shared catalogues (locales/*.json at the repo root, read by the server's app/i18n.py too).
import en from "@locales/en.json";
import zh from "@locales/zh.json";

export const catalogues = { zh, en };
