// Battlemap field client (minimal): log in, share location, list nearby places, show popups.
(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") || localStorage.getItem("bm.lang") || "zh";
  let token = localStorage.getItem("bm.token");
  let user = JSON.parse(localStorage.getItem("bm.user") || "null");
  let socket = null;
  let watchId = null;
  const SHANGHAI = { lat: 31.2304, lon: 121.4737 };

  const t = (key) => (window.I18N[lang] || window.I18N.zh)[key] || key;
  // Names for data keys (roles, skill levels, stages, categories); unknown keys show as they are.
  const label = (group, key) => (((window.I18N[lang] || window.I18N.zh)[group] || {})[key]) || key;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  // Server messages are English; the UI shows its own words for the codes it knows.
  function errorText(error) {
    if (!error) return "";
    return ((window.I18N[lang] || window.I18N.zh).errors || {})[error.code] || error.message;
  }

  function applyLang() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang-toggle").textContent = lang === "en" ? "中文" : "EN";
  }

  async function api(path, options = {}) {
    const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    const response = await fetch(`/api/v1${path}`, { ...options, headers });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(errorText(body.error) || response.statusText), { body, status: response.status });
    return body;
  }

  function show(view) {
    $("login-view").hidden = view !== "login";
    $("field-view").hidden = view !== "field";
    $("logout").hidden = view !== "field";
  }

  async function login(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const body = await api("/auth/login", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
      token = body.token; user = body.user;
      localStorage.setItem("bm.token", token);
      localStorage.setItem("bm.user", JSON.stringify(user));
      $("login-error").textContent = "";
      startField();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  }

  function logout() {
    localStorage.removeItem("bm.token"); localStorage.removeItem("bm.user");
    token = null; user = null;
    if (socket) socket.disconnect();
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    show("login");
  }

  function setConn(online) {
    $("conn").textContent = online ? t("connected") : t("disconnected");
    $("conn").className = `pill ${online ? "ok" : "off"}`;
  }

  function startField() {
    show("field");
    $("who").textContent = `${user.name} · ${label("roles", user.role)}${user.skill_level ? " · " + label("skills", user.skill_level) : ""}`;
    socket = io("/field", { auth: { token }, transports: ["websocket", "polling"] });
    socket.on("connect", () => setConn(true));
    socket.on("disconnect", () => setConn(false));
    socket.on("connect_error", (err) => { setConn(false); if (err.message && /token/.test(JSON.stringify(err.data || ""))) logout(); });
    socket.on("popup", renderPopup);
    setConn(false);
    loadSimulationTargets();
  }

  async function loadSimulationTargets() {
    try {
      const body = await api(`/places?lat=${SHANGHAI.lat}&lon=${SHANGHAI.lon}&radius_m=50000`);
      const select = $("simulate");
      select.length = 1;
      body.items.forEach((p) => select.add(new Option(`${p.name}（${p.zone ? p.zone.type_name : "—"}）`, JSON.stringify([p.lat, p.lon]))));
    } catch (err) { $("field-error").textContent = err.message; }
  }

  function sendFix(lat, lon, accuracy) {
    $("position").textContent = `${t("you_are_at")} ${lat.toFixed(5)}, ${lon.toFixed(5)} · ${t("accuracy")} ${Math.round(accuracy)} ${t("meters")}`;
    if (socket) {
      socket.emit("location", { lat, lon, accuracy_m: accuracy, ts: Date.now() }, (ack) => {
        $("field-error").textContent = ack && !ack.ok ? errorText(ack.error) : "";
      });
    }
    refreshNearby(lat, lon);
  }

  async function refreshNearby(lat, lon) {
    try {
      const body = await api(`/places?lat=${lat}&lon=${lon}&radius_m=3000`);
      $("places").innerHTML = body.items.length ? body.items.map((p) => `
        <li><strong>${esc(p.name)}</strong><span class="muted">${Math.round(p.distance_m)} ${t("meters")}</span>
        <div class="muted">${esc(label("categories", p.category))}${p.zone ? " · " + esc(p.zone.name) : ""}</div></li>`).join("")
        : `<li class="muted">${t("no_places")}</li>`;
    } catch (err) { $("field-error").textContent = err.message; }
  }

  function useLocation() {
    if (!navigator.geolocation) { $("field-error").textContent = t("location_denied"); return; }
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = navigator.geolocation.watchPosition(
      (pos) => sendFix(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy),
      (err) => { $("field-error").textContent = t("location_denied") + err.message; },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 },
    );
  }

  function simulate(event) {
    if (!event.target.value) return;
    const [lat, lon] = JSON.parse(event.target.value);
    if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
    sendFix(lat + 0.0004, lon, 15);
  }

  function list(items, render) {
    return items && items.length ? `<ul>${items.map(render).join("")}</ul>` : `<p class="muted">${t("no_items")}</p>`;
  }

  function renderPopup(p) {
    const el = $("popup");
    el.hidden = false;
    el.innerHTML = `
      <div class="popup-head">
        <div><h2>${esc(p.place.name)}</h2>
          <div class="muted">${Math.round(p.distance_m)} ${t("meters")}${p.zone ? " · " + esc(p.zone.name) : ""}${p.pack ? ` · ${t("pack")} ${esc(p.pack.name || p.pack.id)} v${p.pack.version}` : ""}</div></div>
        <button class="link" type="button" id="popup-close">${t("close")}</button>
      </div>
      <h3>${t("notices")}</h3>
      ${list(p.context.procurement_notices, (n) => `<li><strong>${esc(n.title)}</strong> <span class="muted">${esc(n.date)}${n.amount_cny ? " · ¥" + Number(n.amount_cny).toLocaleString() : ""}</span><div>${esc(n.summary)}</div></li>`)}
      <h3>${t("contacts")}</h3>
      ${list(p.context.contacts, (c) => `<li><strong>${esc(c.name)}</strong> · ${esc(c.role)}<div>${c.background ? esc(c.background) : `<span class="muted">${t("consent_missing")}</span>`}</div></li>`)}
      <h3>${t("talk_tracks")}</h3>
      ${list(p.talk_tracks, (tt) => `<li class="track"><strong>${esc(tt.title)}</strong> <span class="pill">${esc(label("stages", tt.stage))}</span>${tt.variant ? ` <span class="pill">${t("variant")} ${esc(tt.variant)}</span>` : ""}
        <ol>${tt.lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ol>
        <details><summary>${t("objections")}</summary><dl>${tt.objections.map((o) => `<dt>${esc(o.objection)}</dt><dd>${esc(o.response)}</dd>`).join("")}</dl></details></li>`)}
      <h3>${t("counters")}</h3>
      ${list(p.counters, (c) => `<li><strong>${esc(c.competitor)}</strong>：${esc(c.their_move)}<div>→ ${esc(c.our_response)}</div></li>`)}
      ${p.compliance_notes && p.compliance_notes.length ? `<h3>${t("compliance")}</h3>
      ${list(p.compliance_notes, (n) => `<li><strong>${esc(n.title)}</strong><div>${esc(n.text)}</div></li>`)}` : ""}
      ${p.local_cases && p.local_cases.length ? `<h3>${t("cases")}</h3>
      ${list(p.local_cases, (c) => `<li><strong>${esc(c.title)}</strong><div>${esc(c.summary)}</div><div class="muted">${esc(c.result)}</div></li>`)}` : ""}
      <h3>${t("why")}</h3>
      ${list(p.why, (w) => `<li><code>${esc(w.rule)}</code> ${esc(w.detail)}</li>`)}`;
    $("popup-close").onclick = () => { el.hidden = true; };
    el.scrollIntoView({ behavior: "smooth" });
    if (navigator.vibrate) navigator.vibrate(200);
  }

  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("locate").addEventListener("click", useLocation);
  $("simulate").addEventListener("change", simulate);
  $("lang-toggle").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en"; localStorage.setItem("bm.lang", lang); applyLang();
  });
  applyLang();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (token && user) startField(); else show("login");
})();
