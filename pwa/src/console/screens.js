// The console's screens, in menu order. Each entry: key (also the data-testid "console-nav-<key>"), the
// catalogue key of its label, a Vant icon, and the component, loaded when first opened. Add a screen here.
import { defineAsyncComponent } from "vue";

export const SCREENS = [
  { key: "insights", label: "app.console.nav.insights", icon: "chart-trending-o",
    component: defineAsyncComponent(() => import("@/console/insights/InsightsScreen.vue")) },
  { key: "packs", label: "app.console.nav.packs", icon: "notes-o",
    component: defineAsyncComponent(() => import("@/console/packs/PacksScreen.vue")) },
  { key: "rules", label: "app.console.nav.rules", icon: "cluster-o",
    component: defineAsyncComponent(() => import("@/console/rules/RulesScreen.vue")) },
  { key: "preview", label: "app.console.nav.preview", icon: "eye-o",
    component: defineAsyncComponent(() => import("@/console/preview/PreviewScreen.vue")) },
  { key: "replay", label: "app.console.nav.replay", icon: "replay",
    component: defineAsyncComponent(() => import("@/console/replay/ReplayScreen.vue")) },
  { key: "team", label: "app.console.nav.team", icon: "friends-o",
    component: defineAsyncComponent(() => import("@/console/team/TeamScreen.vue")) },
];
