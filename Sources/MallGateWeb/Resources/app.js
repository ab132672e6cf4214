// MallGate web UI: plain JavaScript, no libraries. Every request carries the session cookie;
// a 401 sends the browser back to the login page.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {}, ...options };
  if (init.body !== undefined && typeof init.body !== "string") {
    init.body = JSON.stringify(init.body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (response.status === 401) { location.href = "/login"; throw new Error("not logged in"); }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const message = (data && (data.error?.message || data.error)) || text || response.statusText;
    throw new Error(message);
  }
  return data;
}

// The pages that poll (not the installation view's event stream) say whether the agent answers.
function connected(ok) {
  const c = $("#connection");
  if (c) c.textContent = ok ? "live" : "no answer from the gateway";
}

function setStatus(element, text, bad = false) {
  if (!element) return;
  element.textContent = text;
  element.classList.toggle("bad", bad);
}

function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }
function ago(seconds, now) {
  if (seconds == null) return "never";
  const s = Math.max(0, Math.round(now - seconds));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}
function percent(v) { return v == null ? "–" : (v * 100).toFixed(1) + " %"; }
function timeOfDay(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }

// ---- the venue map -------------------------------------------------------------------------

const Map = {
  venue: null,
  floor: null,
  onZoneClick: null,
  afterDraw: [],
  zone(id) { return this.venue?.zones.find(z => z.id === id); },
  async load() {
    this.venue = await api("/api/venue");
    const select = $("#floor-select");
    select.textContent = "";
    for (const f of this.venue.floors) {
      const o = document.createElement("option");
      o.value = f.id; o.textContent = f.name + " (" + f.id + ")";
      select.appendChild(o);
    }
    select.addEventListener("change", () => this.show(select.value));
    await this.show(this.venue.floors[0]?.id);
  },
  async show(floor) {
    if (!floor) return;
    this.floor = floor;
    $("#floor-select").value = floor;
    const response = await fetch("/api/venue/svg?floor=" + encodeURIComponent(floor), { credentials: "same-origin" });
    if (response.status === 401) { location.href = "/login"; return; }
    $("#venue-map").innerHTML = await response.text();
    for (const p of $$("#venue-map polygon[data-zone-id]")) {
      p.addEventListener("click", () => this.onZoneClick && this.onZoneClick(p.getAttribute("data-zone-id")));
    }
    for (const f of this.afterDraw) f();
  },
  polygon(zoneId) { return $("#venue-map polygon[data-zone-id=\"" + CSS.escape(zoneId) + "\"]"); },
  centre(zoneId) {
    const p = this.polygon(zoneId);
    if (!p) return null;
    const b = p.getBBox();
    return [b.x + b.width / 2, b.y + b.height / 2];
  },
};

// ---- installation view ---------------------------------------------------------------------

function occupancyClass(n) { return n <= 0 ? 0 : n <= 2 ? 1 : n <= 5 ? 2 : 3; }
const occupancyColours = ["", "#ffe08a", "#f6a04d", "#d62828"];

function installation() {
  let latest = null;
  const paint = () => {
    if (!latest) return;
    for (const p of $$("#venue-map polygon[data-store-id]")) {
      const id = p.getAttribute("data-store-id");
      const n = latest.occupancy[id] || 0;
      p.setAttribute("data-occupancy", String(n));
      if (!p.hasAttribute("data-fill")) p.setAttribute("data-fill", p.getAttribute("fill") || "");
      const c = occupancyClass(n);
      p.setAttribute("fill", c === 0 ? p.getAttribute("data-fill") : occupancyColours[c]);
    }
  };
  Map.afterDraw.push(paint);
  Map.load();
  const body = $("#sensor-table tbody");
  const update = (event) => {
    latest = event;
    $("#active-devices").textContent = String(event.activeDevices);
    for (const s of event.sensors) {
      let row = $("tr[data-sensor-id=\"" + CSS.escape(s.id) + "\"]", body);
      if (!row) {
        row = document.createElement("tr");
        row.setAttribute("data-sensor-id", s.id);
        for (const name of ["sensor", "fps", "last-heard", "kernel-drops", "channel", "state"]) { cell(row, "").setAttribute("data-field", name); }
        body.appendChild(row);
      }
      const set = (field, text) => { $("[data-field=\"" + field + "\"]", row).textContent = text; };
      set("sensor", s.id);
      set("fps", s.framesPerSecond.toFixed(1));
      set("last-heard", ago(s.lastHeard, event.time));
      set("kernel-drops", String(s.kernelDrops));
      set("channel", s.channels.length ? s.channels.join("/") : "radio's own");
      set("state", s.silent ? "silent" : s.lastHeard == null ? "never heard" : "ok");
      row.classList.toggle("silent", s.silent);
    }
    paint();
  };
  const source = new EventSource("/api/events");
  source.addEventListener("live", (e) => { $("#connection").textContent = "live"; update(JSON.parse(e.data)); });
  source.onerror = () => { $("#connection").textContent = "reconnecting…"; };
}

// ---- calibration ---------------------------------------------------------------------------

function calibrate() {
  const zoneSelect = $("#cal-zone");
  let selected = null;
  let recording = false;
  const highlight = () => {
    for (const p of $$("#venue-map polygon.selected")) p.classList.remove("selected");
    if (selected) Map.polygon(selected)?.classList.add("selected");
  };
  const choose = (id) => {
    selected = id;
    zoneSelect.value = id;
    const zone = Map.zone(id);
    if (zone && zone.floor !== Map.floor) Map.show(zone.floor); else highlight();
  };
  Map.afterDraw.push(highlight);
  Map.onZoneClick = (id) => { if (!recording) choose(id); };
  Map.load().then(() => {
    const ids = Map.venue.modelZones.length ? Map.venue.modelZones : Map.venue.zones.map(z => z.id);
    for (const id of ids) {
      const z = Map.zone(id);
      const o = document.createElement("option");
      o.value = id; o.textContent = (z && z.name ? z.name + " — " : "") + id;
      zoneSelect.appendChild(o);
    }
    selected = zoneSelect.value;
    highlight();
    refresh();
  });
  zoneSelect.addEventListener("change", () => choose(zoneSelect.value));
  const status = $("#cal-status");
  const render = (s) => {
    recording = s.recording;
    $("#cal-phone-status").textContent = s.phoneSet ? "Phone set (kept only as a hash)." : "No phone set.";
    $("#cal-start").disabled = !s.phoneSet || s.recording;
    $("#cal-stop").disabled = !s.recording;
    zoneSelect.disabled = s.recording;
    if (s.recording) setStatus(status, "Recording in " + s.zone + " since " + timeOfDay(s.started) + " — press Stop when done.");
    if (s.error) setStatus(status, s.error, true);
    const counts = $("#cal-counts tbody");
    counts.textContent = "";
    for (const c of s.counts) {
      const row = document.createElement("tr");
      row.setAttribute("data-sensor-id", c.sensor);
      cell(row, c.sensor); cell(row, String(c.frames));
      counts.appendChild(row);
    }
    const missing = $("#cal-missing");
    missing.textContent = "";
    for (const z of s.missing) {
      const li = document.createElement("li");
      li.setAttribute("data-zone-id", z.id);
      li.textContent = z.name && z.name !== z.id ? z.name + " (" + z.id + ")" : z.id;
      li.addEventListener("click", () => { if (!recording) choose(z.id); });
      missing.appendChild(li);
    }
    $("#cal-missing-count").textContent = "(" + s.missing.length + ")";
    const labels = $("#cal-labels tbody");
    labels.textContent = "";
    for (const l of s.labels) {
      const row = document.createElement("tr");
      cell(row, l.zone).setAttribute("data-field", "zone");
      // The times exactly as labels.csv holds them (RFC 3339 UTC, microseconds): what the trainer reads.
      cell(row, l.start).setAttribute("data-field", "start");
      cell(row, l.end).setAttribute("data-field", "end");
      labels.appendChild(row);
    }
  };
  const refresh = async () => { try { render(await api("/api/calibration")); connected(true); } catch (e) { connected(false); setStatus(status, e.message, true); } };
  $("#cal-phone-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#cal-mac");
    try {
      render(await api("/api/calibration/phone", { method: "POST", body: { mac: input.value } }));
      input.value = "";
      setStatus(status, "Phone set. Pick your zone and press Record.");
    } catch (err) { setStatus(status, err.message, true); }
  });
  $("#cal-start").addEventListener("click", async () => {
    try { render(await api("/api/calibration/start", { method: "POST", body: { zone: zoneSelect.value } })); } catch (err) { setStatus(status, err.message, true); }
  });
  $("#cal-stop").addEventListener("click", async () => {
    try { render(await api("/api/calibration/stop", { method: "POST" })); setStatus(status, "Label recorded. Move to the next zone."); } catch (err) { setStatus(status, err.message, true); }
  });
  setInterval(refresh, 1000);
}

// ---- training ------------------------------------------------------------------------------

function train() {
  const status = $("#train-status");
  let timer = null;
  const render = (s) => {
    $("#train-progress").value = s.progress;
    $("#train-message").textContent = s.message;
    $("#train-start").disabled = s.phase === "running";
    $("#train-accept").disabled = !(s.phase === "done" && !s.installed);
    $("#train-rollback").disabled = !s.canRollback;
    const report = $("#train-report");
    if (s.report) {
      const r = s.report;
      report.hidden = false;
      report.textContent = "";
      const h = document.createElement("h2"); h.textContent = "Cross-validated report (" + r.chosen + ")"; report.appendChild(h);
      const dl = document.createElement("dl");
      const add = (name, value, key) => {
        const dt = document.createElement("dt"); dt.textContent = name;
        const dd = document.createElement("dd"); dd.textContent = value; if (key) dd.setAttribute("data-metric", key);
        dl.appendChild(dt); dl.appendChild(dd);
      };
      add("Floor accuracy", percent(r.floorAccuracy), "floor");
      add("Store accuracy", percent(r.storeAccuracy), "store");
      add("Inside / outside a store", percent(r.insideOutsideAccuracy), "inside-outside");
      add("Windows", r.samples + " (" + r.calibrationWindows + " from the calibration walk)");
      add("Zones", String(r.zones));
      add("Model size", r.modelBytes + " bytes");
      report.appendChild(dl);
      const h3 = document.createElement("h3"); h3.textContent = "Most confused stores"; report.appendChild(h3);
      const ul = document.createElement("ul"); ul.className = "confused";
      for (const c of r.confused) { const li = document.createElement("li"); li.textContent = c.actual + " → " + c.predicted + " (" + c.count + ")"; ul.appendChild(li); }
      if (!r.confused.length) { const li = document.createElement("li"); li.textContent = "none"; ul.appendChild(li); }
      report.appendChild(ul);
    } else { report.hidden = true; }
    if (s.phase === "failed") setStatus(status, "Training failed: " + s.message, true);
    if (s.phase === "running" && !timer) timer = setInterval(refresh, 1000);
    if (s.phase !== "running" && timer) { clearInterval(timer); timer = null; }
  };
  const refresh = async () => { try { render(await api("/api/train")); } catch (e) { setStatus(status, e.message, true); } };
  $("#train-start").addEventListener("click", async () => {
    setStatus(status, "");
    try { render(await api("/api/train/start", { method: "POST" })); } catch (e) { setStatus(status, e.message, true); }
  });
  $("#train-accept").addEventListener("click", async () => {
    try { render(await api("/api/train/accept", { method: "POST" })); setStatus(status, "Installed; the agent reloaded with the new model."); } catch (e) { setStatus(status, e.message, true); }
  });
  $("#train-rollback").addEventListener("click", async () => {
    try { render(await api("/api/train/rollback", { method: "POST" })); setStatus(status, "The previous model is back in use."); } catch (e) { setStatus(status, e.message, true); }
  });
  refresh();
}

// ---- where am I ----------------------------------------------------------------------------

function whereami() {
  const status = $("#wai-status");
  let latest = null;
  let timer = null;
  const draw = () => {
    for (const p of $$("#venue-map polygon.on-path, #venue-map polygon.here")) p.classList.remove("on-path", "here");
    $("#venue-map polyline.wai-path-line")?.remove();
    if (!latest || !latest.path.length) return;
    const points = [];
    for (const step of latest.path) {
      const p = Map.polygon(step.zone);
      if (!p) continue;
      p.classList.add("on-path");
      const c = Map.centre(step.zone);
      if (c) points.push(c.join(","));
    }
    Map.polygon(latest.zone)?.classList.add("here");
    const svg = $("#venue-map svg");
    if (svg && points.length > 1) {
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("class", "wai-path-line");
      line.setAttribute("points", points.join(" "));
      svg.appendChild(line);
    }
  };
  Map.afterDraw.push(draw);
  Map.load();
  const render = (s) => {
    latest = s;
    const zone = $("#wai-zone");
    if (!s.watching) { setStatus(status, "Enter your phone's MAC address."); return; }
    if (!s.zone) {
      zone.textContent = "–"; zone.setAttribute("data-zone-id", "");
      $("#wai-confidence").textContent = "–";
      setStatus(status, "Looking for your phone… keep Wi-Fi on; phones probe every few seconds to a minute.");
      return;
    }
    setStatus(status, "");
    zone.textContent = s.zoneName || s.zone;
    zone.setAttribute("data-zone-id", s.zone);
    $("#wai-confidence").textContent = Math.round(s.confidence * 100) + " %";
    const list = $("#wai-path");
    list.textContent = "";
    for (const step of s.path.slice(-15)) {
      const li = document.createElement("li");
      li.setAttribute("data-zone-id", step.zone);
      const z = Map.zone(step.zone);
      li.textContent = new Date(step.time * 1000).toISOString().substring(11, 19) + " — " + (z?.name || step.zone);
      list.appendChild(li);
    }
    if (s.floor && s.floor !== Map.floor) Map.show(s.floor); else draw();
  };
  const refresh = async () => { try { render(await api("/api/whereami")); connected(true); } catch (e) { connected(false); setStatus(status, e.message, true); } };
  $("#wai-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("#wai-mac");
    try {
      render(await api("/api/whereami", { method: "POST", body: { mac: input.value } }));
      input.value = "";
      if (!timer) timer = setInterval(refresh, 2000);
    } catch (err) { setStatus(status, err.message, true); }
  });
  refresh().then(() => { if (latest && latest.watching && !timer) timer = setInterval(refresh, 2000); });
}

// ---- dashboard -----------------------------------------------------------------------------

function barChart(container, rows, value, label) {
  const data = rows.map(r => ({ name: r.name || r.id, v: value(r) })).filter(d => d.v > 0).sort((a, b) => b.v - a.v).slice(0, 12);
  const width = 600, bar = 22, gap = 6, left = 150;
  const height = Math.max(40, data.length * (bar + gap) + 10);
  const max = Math.max(1, ...data.map(d => d.v));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  if (!data.length) {
    const t = document.createElementNS(ns, "text"); t.setAttribute("x", "10"); t.setAttribute("y", "25"); t.textContent = "nothing yet"; svg.appendChild(t);
  }
  data.forEach((d, i) => {
    const y = 5 + i * (bar + gap);
    const name = document.createElementNS(ns, "text");
    name.setAttribute("x", String(left - 6)); name.setAttribute("y", String(y + bar * 0.72)); name.setAttribute("text-anchor", "end"); name.setAttribute("font-size", "13");
    name.textContent = d.name.length > 20 ? d.name.slice(0, 19) + "…" : d.name;
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", String(left)); rect.setAttribute("y", String(y)); rect.setAttribute("height", String(bar));
    rect.setAttribute("width", String(Math.max(2, (width - left - 50) * d.v / max))); rect.setAttribute("fill", "#2b6cb0");
    const v = document.createElementNS(ns, "text");
    v.setAttribute("x", String(left + Math.max(2, (width - left - 50) * d.v / max) + 4)); v.setAttribute("y", String(y + bar * 0.72)); v.setAttribute("font-size", "13");
    v.textContent = String(d.v);
    svg.appendChild(name); svg.appendChild(rect); svg.appendChild(v);
  });
  container.textContent = "";
  container.appendChild(svg);
}

function dashboard() {
  const render = (d) => {
    $("#dash-since").textContent = "Today since " + new Date(d.since * 1000).toISOString().replace("T", " ").substring(0, 16) + " UTC.";
    const body = $("#dash-stores tbody");
    body.textContent = "";
    for (const s of d.stores) {
      const row = document.createElement("tr");
      row.setAttribute("data-store-id", s.id);
      cell(row, s.name || s.id).setAttribute("data-field", "store");
      cell(row, String(s.visitorsNow)).setAttribute("data-field", "now");
      cell(row, String(s.footfall)).setAttribute("data-field", "footfall");
      cell(row, String(s.passersBy)).setAttribute("data-field", "passers-by");
      cell(row, s.captureRate == null ? "–" : s.captureRate.toFixed(2)).setAttribute("data-field", "capture-rate");
      cell(row, s.medianDwellSeconds == null ? "–" : (s.medianDwellSeconds / 60).toFixed(1)).setAttribute("data-field", "median-dwell");
      body.appendChild(row);
    }
    barChart($("#dash-chart-now"), d.stores, s => s.visitorsNow, "visitors now per store");
    barChart($("#dash-chart-footfall"), d.stores, s => s.footfall, "footfall today per store");
  };
  const refresh = async () => { try { render(await api("/api/dashboard")); } catch (e) { $("#dash-since").textContent = e.message; } };
  refresh();
  setInterval(refresh, 5000);
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.getAttribute("data-page");
  for (const a of $$("[data-nav]")) a.classList.toggle("current", a.getAttribute("data-nav") === page);
  ({ installation, calibrate, train, whereami, dashboard })[page]?.();
});
