// The rep's coaching cards (pushed by the server as `coaching.card`, and GET /api/v1/coaching) and the region's
// onboarding collection (新人必修, GET /api/v1/onboarding). Both are kept in IndexedDB (kv) so they read the same
// offline; a card that arrives while the app is open opens over the current tab.
import { computed, reactive } from "vue";
import { api } from "@/core/api";
import { kvGet, kvSet } from "@/core/db";
import { mergeCards, unreadCount } from "@/rep/coaching-words";

const KV_CARDS = "coaching.cards";
const KV_READ = "coaching.read";
const KV_ONBOARDING = "onboarding.items";
const KV_SEEN = "onboarding.seen";

export const coaching = reactive({
  cards: [], read: [], open: null,
  onboarding: [], seen: [], onboardingLoaded: false, onboardingAt: null, onboardingError: null,
});

export const unreadCards = computed(() => coaching.cards.filter((c) => !coaching.read.includes(String(c.id))).length);
export const unreadOnboarding = computed(() => unreadCount(coaching.onboarding, coaching.seen));

/** What was stored (start, offline too). Replaces memory: after a user switch the kv is empty. */
export async function loadCoaching() {
  const [cards, read, onboarding, seen] = await Promise.all([kvGet(KV_CARDS, []), kvGet(KV_READ, []),
    kvGet(KV_ONBOARDING, null), kvGet(KV_SEEN, [])]);
  Object.assign(coaching, { cards, read, seen, open: null, onboarding: onboarding?.items || [],
    onboardingAt: onboarding?.at || null, onboardingLoaded: !!onboarding });
}

/** A `coaching.card` from the socket: kept, and opened. */
export async function receiveCoachingCard(card) {
  if (!card || card.id == null) return;
  coaching.cards = mergeCards(coaching.cards, [card]);
  coaching.open = coaching.cards.find((c) => String(c.id) === String(card.id)) || card;
  await kvSet(KV_CARDS, coaching.cards).catch(() => {});
}

/** The rep's own cards and the onboarding list from the server (when it can be reached). */
export async function refreshCoaching() {
  await Promise.all([
    api("/coaching").then(async (answer) => {
      coaching.cards = mergeCards(coaching.cards, answer.items || []);
      await kvSet(KV_CARDS, coaching.cards);
    }).catch(() => {}),
    refreshOnboarding(),
  ]);
}

export async function refreshOnboarding() {
  try {
    const answer = await api("/onboarding");
    coaching.onboarding = answer.items || [];
    coaching.onboardingAt = new Date().toISOString();
    coaching.onboardingError = null;
    await kvSet(KV_ONBOARDING, { items: coaching.onboarding, at: coaching.onboardingAt });
  } catch (err) {
    coaching.onboardingError = err.code || "network_error";
  } finally {
    coaching.onboardingLoaded = true;
  }
}

export async function markCardRead(id) {
  if (coaching.read.includes(String(id))) return;
  coaching.read = [...coaching.read, String(id)];
  await kvSet(KV_READ, coaching.read).catch(() => {});
}

export async function markSeen(id) {
  if (coaching.seen.includes(String(id))) return;
  coaching.seen = [...coaching.seen, String(id)];
  await kvSet(KV_SEEN, coaching.seen).catch(() => {});
}
