// "Synced 5 min ago": how old the stored bundle is, in the rep's words (the status strip and the Me screen).
import { computed } from "vue";
import { useI18n } from "vue-i18n";
import { bundleState } from "@/core/sync";
import { useNow } from "@/shell/use-now";

export function useBundleAge() {
  const { t } = useI18n();
  const now = useNow();
  return computed(() => {
    if (!bundleState.syncedAt) return t("app.me.never");
    const minutes = Math.max(0, Math.round((now.value - new Date(bundleState.syncedAt).getTime()) / 60000));
    if (minutes < 1) return t("app.me.just_now");
    return minutes < 120 ? t("app.me.minutes_ago", { n: minutes }) : t("app.me.hours_ago", { n: Math.round(minutes / 60) });
  });
}
