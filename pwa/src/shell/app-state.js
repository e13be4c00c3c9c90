// App-wide reactive facts (network, started), apart from the lifecycle code so anything may read them.
import { reactive } from "vue";

export const app = reactive({ started: false, online: navigator.onLine, packUpdates: 0 });
