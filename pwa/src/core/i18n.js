// One catalogue per language (locales/zh.json, locales/en.json at the repo root), shared with the server:
// vue-i18n renders the UI (`app.*`), core/why.js renders `why` entries and errors from codes + facts.
// Switching language switches Vant's own strings and <html lang> with it.
import { Locale } from "vant";
import enUS from "vant/es/locale/lang/en-US";
import zhCN from "vant/es/locale/lang/zh-CN";
import { createI18n } from "vue-i18n";
import { catalogues } from "@/core/catalogues";
import { STORAGE_LANG } from "@/constants";

export { catalogues };
export const LOCALES = ["zh", "en"];

function initialLocale() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LOCALES.includes(asked)) return asked;
  const stored = localStorage.getItem(STORAGE_LANG);
  return LOCALES.includes(stored) ? stored : "zh";
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: "zh",
  messages: catalogues,
  missingWarn: false,
  fallbackWarn: false,
});

export function applyLocale(locale) {
  i18n.global.locale.value = locale;
  localStorage.setItem(STORAGE_LANG, locale);
  document.documentElement.lang = locale === "en" ? "en" : "zh-CN";
  if (locale === "en") Locale.use("en-US", enUS);
  else Locale.use("zh-CN", zhCN);
}

export function currentLocale() {
  return i18n.global.locale.value;
}

/** Numbers and dates per locale (both locales group by thousands; dates as the locale writes them). */
export function formatDate(iso, locale = currentLocale()) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleDateString(locale === "en" ? "en-GB" : "zh-CN", { year: "numeric", month: "short", day: "numeric" });
}

export function formatTime(iso, locale = currentLocale()) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(locale === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit" });
}

export function formatCny(value, locale = currentLocale()) {
  if (value == null) return "";
  return `¥${Number(value).toLocaleString(locale === "en" ? "en-US" : "zh-CN")}`;
}
