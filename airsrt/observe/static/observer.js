// airsrt observer page: plain JavaScript, no build step, nothing loaded from elsewhere.
//
// Data flow: one EventSource on /api/events brings a "tick" every second (rates, totals, the
// ledger, dead letters) and the system's events as they happen; when a tick says the server
// has a new tree snapshot, the page asks /api/tree for just the rows it shows (the server
// groups large families of children and pages through them), and /api/actor for the selected
// actor. The EventSource reconnects by itself and resumes with Last-Event-ID.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  info: null,
  expanded: new Set(),
  pages: new Map(),
  query: "",
  selected: null,
  series: [],
  snapshotSeq: -1,
  treeBusy: false,
  treeAgain: false,
  autoOpen: 2,
  lastRows: new Map(),
  events: 0,
};
const SERIES_MAX = 300;
const FEED_MAX = 200;

// -- formatting ------------------------------------------------------------------------------

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function num(n) {
  if (n === null || n === undefined) return "–";
  return Math.round(n).toLocaleString("en-US");
}
function rate(r) {
  if (r === null || r === undefined) return "–";
  if (r >= 1000) return Math.round(r).toLocaleString("en-US");
  if (r >= 10) return r.toFixed(0);
  if (r > 0) return r.toFixed(1);
  return "0";
}
function short(n) {
  if (n === null || n === undefined) return "–";
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (n / 1e3).toFixed(0) + "k";
  if (a >= 1e3) return (n / 1e3).toFixed(1) + "k";
  return a >= 10 || n === 0 ? n.toFixed(0) : n.toFixed(1);
}
function seconds(s) {
  if (s === null || s === undefined) return "–";
  if (s < 0.01) return (s * 1000).toFixed(1) + " ms";
  if (s < 1) return (s * 1000).toFixed(0) + " ms";
  if (s < 120) return s.toFixed(1) + " s";
  return (s / 60).toFixed(1) + " min";
}
function clock(t) {
  const d = new Date(t * 1000);
  return d.toTimeString().slice(0, 8);
}
const KIND_LETTER = { guardian: "G", supervisor: "S", pool: "P", actor: "A" };
const KIND_TITLE = {
  guardian: "Guardian: the root, supervises top-level actors",
  supervisor: "Supervisor: restarts its children by its strategy",
  pool: "Pool: a supervisor whose workers share the pool's messages",
  actor: "Actor",
};

// -- requests ----------------------------------------------------------------------------------

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

// -- the live feed ---------------------------------------------------------------------------

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("hello", (e) => onHello(JSON.parse(e.data)));
  source.addEventListener("tick", (e) => onTick(JSON.parse(e.data)));
  source.addEventListener("event", (e) => addEvent(JSON.parse(e.data)));
  source.addEventListener("gap", (e) => onGap(JSON.parse(e.data)));
  source.onopen = () => setConn("live", "live");
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) setConn("lost", "disconnected (reload to retry)");
    else setConn("wait", "reconnecting…");
  };
}

function setConn(kind, text) {
  const el = $("conn");
  el.className = "conn conn-" + kind;
  el.textContent = text;
}

function onHello(info) {
  const first = state.info === null;
  state.info = info;
  $("system-name").textContent = info.system;
  $("system-state").textContent = info.state;
  const mode = $("mode");
  if (info.allow_control) {
    mode.textContent = "actions on";
    mode.classList.add("control");
    mode.title = "This page can stop and restart actors (each action is recorded as an event)";
  }
  if (first) {
    state.series = info.series.slice(-SERIES_MAX);
    restoreView();
    drawCharts();
  }
  refreshTree();
}

function onTick(tick) {
  setConn("live", "live");
  const p = tick.point;
  state.series.push(p);
  if (state.series.length > SERIES_MAX) state.series.shift();
  const ledger = tick.ledger;
  $("c-actors").textContent = num(p.actors);
  $("c-actors-sub").textContent = p.busy ? `${num(p.busy)} busy in async handlers` : "none busy";
  $("c-rate").textContent = rate(p.rate);
  $("c-rate-sub").textContent = `${num(ledger.handled)} handled in all`;
  $("c-mailbox").textContent = num(p.mailbox);
  $("c-mailbox-sub").textContent = `deepest: ${num(p.mailbox_max)}`;
  $("c-dead").textContent = num(tick.dead_letters.total);
  $("c-dead-sub").textContent = p.dead_rate === null ? " " : `${rate(p.dead_rate)} / s now`;
  $("c-restarts").textContent = num(ledger.restarts);
  $("c-restarts-sub").textContent = `${num(ledger.failures)} handler failures`;
  $("ledger").textContent =
    `Ledger: sent ${num(ledger.sent)} = handled ${num(ledger.handled)} + rejected ${num(ledger.rejected)}` +
    ` + dead letters ${num(ledger.dead_letters)} + returned ${num(ledger.returned)}` +
    ` + withdrawn ${num(ledger.withdrawn)} + in flight ${num(ledger.in_flight)}`;
  const snap = tick.snapshot;
  if (snap.duration !== null) {
    $("snapinfo").textContent =
      `Tree refreshed every ${seconds(snap.every)}; the last snapshot of ${num(snap.actors)} actors took ${seconds(snap.duration)}.`;
  }
  renderDead(tick.dead_letters);
  const dropped = Object.entries(tick.dropped || {});
  if (dropped.length) {
    $("feed-note").textContent = "Not shown (more than the feed's rate limit): " +
      dropped.map(([k, n]) => `${n} ${k}`).join(", ");
  }
  drawCharts();
  if (snap.seq !== state.snapshotSeq) {
    state.snapshotSeq = snap.seq;
    refreshTree();
    if (state.selected) showDetails(state.selected, false);
  }
}

function onGap(gap) {
  const li = document.createElement("li");
  li.className = "gap";
  li.textContent = gap.restarted
    ? "The observer restarted: events from before are not shown."
    : `${num(gap.missed)} events were missed while disconnected.`;
  prependFeed(li);
}

// -- events feed -------------------------------------------------------------------------------

function describe(details) {
  const parts = [];
  for (const [k, v] of Object.entries(details || {})) {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length)) continue;
    parts.push(`${k}: ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v}`);
  }
  return parts.join(" · ");
}

const LEVELS = { TRACE: 5, DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
// Repeats of one kind for one actor among the newest lines are counted on one line ("×12"),
// so a flood of dead letters cannot push a restart out of sight.
const COLLAPSE_WITHIN = 6;

function addEvent(ev) {
  if ($("pause").checked) return;
  if ((LEVELS[ev.severity] || 0) < Number($("min-level").value)) return;
  const feed = $("feed");
  const detail = describe(ev.details);
  const actor = ev.actor || "";
  for (let i = 0, li = feed.firstElementChild; li && i < COLLAPSE_WITHIN; i++, li = li.nextElementSibling) {
    if (li.dataset.kind === ev.kind && li.dataset.actor === actor) {
      const n = Number(li.dataset.count || "1") + 1;
      li.dataset.count = String(n);
      li.querySelector(".time").textContent = clock(ev.time);
      li.querySelector(".count").textContent = ` ×${n}`;
      li.querySelector(".detail").textContent = detail;
      feed.insertBefore(li, feed.firstChild);
      return;
    }
  }
  const li = document.createElement("li");
  li.className = "sev-" + ev.severity;
  li.dataset.kind = ev.kind;
  li.dataset.actor = actor;
  li.title = `${ev.severity} event`;
  li.innerHTML =
    `<span class="time">${esc(clock(ev.time))}</span>` +
    `<span class="kind-name">${esc(ev.kind)}</span>` +
    (ev.actor ? ` <span class="actor">${esc(ev.actor)}</span>` : "") +
    `<span class="count" title="times in a row"></span>` +
    `<span class="detail">${esc(detail)}</span>`;
  prependFeed(li);
}

function prependFeed(li) {
  const feed = $("feed");
  if (state.events === 0) feed.innerHTML = "";
  state.events += 1;
  feed.insertBefore(li, feed.firstChild);
  while (feed.children.length > FEED_MAX) feed.removeChild(feed.lastChild);
}

// -- dead letters ------------------------------------------------------------------------------

const REASONS = {
  mailbox_full: "the mailbox was full (backpressure)",
  stopped: "sent to an actor that had stopped",
  shutdown: "the system was shutting down",
  start_failed: "the actor failed to start",
  expired: "its time-to-live passed in the mailbox",
  late_reply: "an answer that came after the ask gave up",
  no_subscriber: "published with nobody subscribed",
  unhandled: "no handler after a restart changed the class",
};

function renderDead(dead) {
  const el = $("dead");
  const entries = Object.entries(dead.by_reason).sort((a, b) => b[1] - a[1]);
  if (!entries.length) {
    el.innerHTML = `<span class="muted">None yet (${num(dead.total)} in all).</span>`;
    return;
  }
  const top = entries[0][1];
  let html = "<table>";
  for (const [reason, count] of entries) {
    const width = Math.max(2, Math.round((count / top) * 100));
    html += `<tr title="${esc(REASONS[reason] || reason)}"><td>${esc(reason)}</td>` +
      `<td class="num">${num(count)}</td><td style="width:45%"><div class="dbar" style="width:${width}%"></div></td></tr>`;
  }
  html += "</table>";
  if (!dead.exact) {
    html += `<div class="muted" title="The system keeps only its recent dead letters (dead_letter_history); older ones are in the total but not in these counts">` +
      `Counts over the most recent ones; ${num(dead.total)} in all.</div>`;
  }
  const last = dead.recent[dead.recent.length - 1];
  if (last) {
    html += `<div class="muted">Latest: ${esc(last.message_type)} for ${esc(last.recipient || "nobody")} (${esc(last.reason)})</div>`;
  }
  el.innerHTML = html;
}

// -- the tree ----------------------------------------------------------------------------------

function storageKey() {
  return "airsrt-observer:" + (state.info ? state.info.system : "");
}
function saveView() {
  try {
    localStorage.setItem(storageKey(), JSON.stringify({ expanded: [...state.expanded] }));
  } catch (e) { /* private mode: the view is just not remembered */ }
}
function restoreView() {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey()) || "null");
    if (saved && Array.isArray(saved.expanded)) {
      state.expanded = new Set(saved.expanded);
      state.autoOpen = 0;
    }
  } catch (e) { /* ignore */ }
}

function treeURL() {
  const params = new URLSearchParams();
  if (state.query) params.set("q", state.query);
  for (const id of state.expanded) params.append("expand", id);
  for (const [gid, offset] of state.pages) params.append("page", `${gid}@${offset}`);
  return "/api/tree?" + params.toString();
}

async function refreshTree() {
  if (state.treeBusy) { state.treeAgain = true; return; }
  state.treeBusy = true;
  try {
    const data = await getJSON(treeURL());
    if (state.autoOpen > 0 && !state.query) {
      // First visit: open the guardian, then its small families, so the tree shows at once.
      state.autoOpen -= 1;
      let opened = false;
      for (const row of data.rows) {
        if (row.type === "actor" && (row.depth === 0 || (row.depth === 1 && row.children > 0 && row.children <= 12))) {
          if (!state.expanded.has(row.id)) { state.expanded.add(row.id); opened = true; }
        }
      }
      if (opened) { saveView(); state.treeAgain = true; }
    }
    renderTree(data);
  } catch (err) {
    $("tree-foot").textContent = "Could not load the tree: " + err.message;
  } finally {
    state.treeBusy = false;
    if (state.treeAgain) { state.treeAgain = false; refreshTree(); }
  }
}

function cellClass(value, bad) {
  if (!value) return "num zero";
  return "num " + bad;
}

function actorRow(row, searching) {
  const indent = searching ? 0 : row.depth * 16;
  const toggle = !searching && row.children > 0
    ? `<span class="toggle" data-toggle="${esc(row.id)}" title="${row.expanded ? "Close" : "Open"} (${num(row.children)} children)">${row.expanded ? "▾" : "▸"}</span>`
    : `<span class="toggle"></span>`;
  const kind = `<span class="kind k-${esc(row.kind)}" title="${esc(KIND_TITLE[row.kind] || row.kind)}">${KIND_LETTER[row.kind] || "?"}</span>`;
  const childId = row.child_id !== null && row.child_id !== undefined && String(row.child_id) !== row.name
    ? `<span class="childid" title="Its id in its supervisor's child specs">[${esc(row.child_id)}]</span>` : "";
  const path = searching && row.path ? `<span class="path">${esc(row.path)}</span>` : "";
  const busy = row.busy_for !== null && row.busy_for !== undefined
    ? ` title="Handling ${esc(row.handling || "a message")} for ${esc(seconds(row.busy_for))}"` : "";
  const prev = state.lastRows.get(row.id);
  const flashFailed = prev && row.failed > prev.failed ? " flash" : "";
  const flashRestart = prev && row.restarts > prev.restarts ? " flash" : "";
  const barWidth = row.max_mailbox ? Math.round((row.mailbox / row.max_mailbox) * 40) : 0;
  const mailbox = `<span class="bar" style="width:${barWidth}px" title="${num(row.mailbox)} of its highest ever, ${num(row.max_mailbox)}"></span>${num(row.mailbox)}`;
  return `<tr class="row${state.selected === row.id ? " selected" : ""}" data-id="${esc(row.id)}" data-name="${esc(row.name)}">` +
    `<td class="c-name" style="padding-left:${8 + indent}px" title="${esc(row.name)} (${esc(row.class || "")})">${toggle}${kind} <span class="name">${esc(row.name)}</span>${childId}<span class="cls">${esc(row.class || "")}</span>${path}</td>` +
    `<td><span class="state s-${esc(row.state)}"${busy}>${esc(row.state.toLowerCase())}</span></td>` +
    `<td class="num c-mailbox${row.mailbox > 1000 ? " hot" : row.mailbox > 100 ? " warm" : ""}">${mailbox}</td>` +
    `<td class="num c-rate">${rate(row.rate)}</td>` +
    `<td class="num c-processed">${num(row.processed)}</td>` +
    `<td class="${cellClass(row.failed, "hot")} c-failed${flashFailed}">${num(row.failed)}</td>` +
    `<td class="${cellClass(row.restarts, "warm")} c-restarts${flashRestart}" title="incarnation ${num(row.incarnation)}">${num(row.restarts)}</td>` +
    `</tr>`;
}

function groupRow(row) {
  const indent = row.depth * 16;
  const states = Object.entries(row.states).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
  let pager = "";
  if (row.expanded) {
    const from = row.offset + 1;
    const to = Math.min(row.offset + row.page_size, row.count);
    pager = `<span class="pager">${num(from)}–${num(to)} of ${num(row.count)}` +
      (row.offset > 0 ? ` <button data-page="${esc(row.id)}" data-offset="${row.offset - row.page_size}" title="Previous page">‹</button>` : "") +
      (to < row.count ? `<button data-page="${esc(row.id)}" data-offset="${row.offset + row.page_size}" title="Next page">›</button>` : "") +
      `</span>`;
  }
  return `<tr class="group" data-group="${esc(row.id)}">` +
    `<td class="c-name" style="padding-left:${8 + indent}px" title="${num(row.count)} children of class ${esc(row.class)}, grouped (more than ${state.info ? state.info.group_threshold : 50} children). Open to page through them.">` +
    `<span class="toggle" data-toggle="${esc(row.id)}">${row.expanded ? "▾" : "▸"}</span><span class="name">${esc(row.name)}</span>${pager}</td>` +
    `<td title="${esc(states)}">${esc(states)}</td>` +
    `<td class="num">${num(row.mailbox)}</td>` +
    `<td class="num">${rate(row.rate)}</td>` +
    `<td class="num">${num(row.processed)}</td>` +
    `<td class="${cellClass(row.failed, "hot")}">${num(row.failed)}</td>` +
    `<td class="${cellClass(row.restarts, "warm")}">${num(row.restarts)}</td>` +
    `</tr>`;
}

function renderTree(data) {
  const searching = Boolean(state.query);
  const parts = [];
  for (const row of data.rows) parts.push(row.type === "group" ? groupRow(row) : actorRow(row, searching));
  if (!parts.length) parts.push(`<tr><td colspan="7" class="muted">${searching ? "No actor matches." : "No actors."}</td></tr>`);
  const body = $("tree-body");
  const scroll = body.parentElement.parentElement.scrollTop;
  body.innerHTML = parts.join("");
  body.parentElement.parentElement.scrollTop = scroll;
  state.lastRows = new Map(data.rows.filter((r) => r.type === "actor").map((r) => [r.id, r]));
  let foot = searching
    ? `${num(data.matches)} match${data.matches === 1 ? "" : "es"}${data.truncated ? ` (the first ${num(data.rows.length)} shown)` : ""}.`
    : `${num(data.snapshot.actors)} actors.${data.truncated ? " Only the first rows are shown: close some nodes." : ""}`;
  $("tree-foot").textContent = foot;
}

$("tree-body").addEventListener("click", (e) => {
  const toggle = e.target.closest("[data-toggle]");
  if (toggle) {
    const id = toggle.dataset.toggle;
    if (state.expanded.has(id)) state.expanded.delete(id); else state.expanded.add(id);
    saveView();
    refreshTree();
    e.stopPropagation();
    return;
  }
  const page = e.target.closest("[data-page]");
  if (page) {
    state.pages.set(page.dataset.page, Math.max(0, Number(page.dataset.offset)));
    refreshTree();
    e.stopPropagation();
    return;
  }
  const row = e.target.closest("tr.row");
  if (row) showDetails(row.dataset.id, true);
});

let searchTimer = null;
$("search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.query = e.target.value.trim(); refreshTree(); }, 200);
});

// -- details -----------------------------------------------------------------------------------

async function showDetails(id, select) {
  if (select) {
    state.selected = id;
    for (const tr of document.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    const tr = document.querySelector(`tr.row[data-id="${CSS.escape(id)}"]`);
    if (tr) tr.classList.add("selected");
  }
  let data;
  try {
    data = await getJSON("/api/actor?id=" + encodeURIComponent(id));
  } catch (err) {
    $("details").innerHTML = `<span class="muted">${esc(id)} is no longer in the tree (it stopped).</span>`;
    return;
  }
  renderDetails(data);
}

function supervisorHTML(sup, title) {
  const used = sup.restarts_in_window;
  const limit = sup.max_restarts;
  const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : used ? 100 : 0;
  const strategy = sup.strategy || "none (a failed top-level actor is stopped)";
  let html = `<h3>${esc(title)}</h3><dl>` +
    `<dt title="Which children restart when one fails">Strategy</dt><dd>${esc(strategy)}</dd>` +
    `<dt title="Restarts in the sliding window; past the limit the supervisor gives up and fails to its own supervisor">Restart intensity</dt>` +
    `<dd>${num(used)} of ${num(limit)} within ${esc(sup.within)} s<div class="intensity"><div style="width:${pct}%"></div></div></dd>`;
  if (sup.backoff) html += `<dt>Backoff</dt><dd>${esc(sup.backoff.initial)} s to ${esc(sup.backoff.maximum)} s, ×${esc(sup.backoff.factor)}</dd>`;
  html += `</dl>`;
  return html;
}

function renderDetails(data) {
  const a = data.actor;
  const info = state.info || {};
  let html = `<dl>` +
    `<dt>Name</dt><dd><b>${esc(a.name)}</b></dd>` +
    `<dt>Path</dt><dd>${esc(a.path)}</dd>` +
    `<dt>Class</dt><dd>${esc(a.class || "")} (${esc(a.kind)})</dd>` +
    `<dt>Id</dt><dd>${esc(a.id)}</dd>` +
    `<dt>State</dt><dd><span class="state s-${esc(a.state)}">${esc(a.state.toLowerCase())}</span>` +
    (a.busy_for !== null ? ` — handling ${esc(a.handling || "a message")} for ${esc(seconds(a.busy_for))}` : "") + `</dd>` +
    `<dt title="1 for the first instance; each restart builds a new one">Incarnation</dt><dd>${num(a.incarnation)}</dd>` +
    `<dt>Mailbox</dt><dd>${num(a.mailbox)} waiting (highest ever ${num(a.max_mailbox)})` +
    (a.waiting_senders ? `, ${num(a.waiting_senders)} senders parked on a full mailbox` : "") + `</dd>` +
    `<dt>Processed</dt><dd>${num(a.processed)} (${rate(a.rate)} / s)</dd>` +
    `<dt>Failed</dt><dd>${num(a.failed)}</dd>` +
    `<dt>Restarts</dt><dd>${num(a.restarts)}</dd>` +
    `<dt>Children</dt><dd>${num(a.children)}</dd>` +
    `</dl>`;
  if (data.spec) {
    html += `<h3>As a child of its supervisor</h3><dl>` +
      `<dt>Child id</dt><dd>${esc(data.spec.id)}</dd>` +
      `<dt title="permanent: always restarted; transient: only after a failure; temporary: never">Restart policy</dt><dd>${esc(data.spec.restart)}</dd>` +
      `<dt>Restarted by it</dt><dd>${num(data.spec.restarts)}</dd></dl>`;
  }
  if (data.supervisor) html += supervisorHTML(data.supervisor, data.supervisor.kind === "guardian" ? "As the guardian" : "As a supervisor");
  if (info.allow_control && a.kind !== "guardian" && a.id !== info.observer_actor) {
    html += `<div class="actions">` +
      `<button class="danger" data-action="stop" title="Stop it for good (as ref.stop()); a supervised child is not restarted">Stop this actor</button>` +
      `<button data-action="restart" title="Restart it in place: a new instance from its factory, same ref, its mailbox kept">Restart this actor</button>` +
      `</div><div class="action-result muted" id="action-result"></div>`;
  }
  const el = $("details");
  el.classList.remove("muted");
  el.innerHTML = html;
  for (const button of el.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => act(button.dataset.action, a));
  }
}

async function act(action, actor) {
  const verb = action === "stop" ? "Stop" : "Restart";
  if (!confirm(`${verb} ${actor.name}? This is recorded as an event in the system.`)) return;
  const out = $("action-result");
  try {
    const response = await fetch(`/api/actors/${encodeURIComponent(actor.id)}/${action}`, {
      method: "POST", credentials: "same-origin", headers: { "X-Airsrt-Observer": "1" },
    });
    const body = await response.json();
    out.textContent = response.ok ? `${verb} requested: ${body.actor} is ${String(body.state).toLowerCase()}.` : body.error;
  } catch (err) {
    out.textContent = String(err);
  }
  refreshTree();
}

// -- charts ------------------------------------------------------------------------------------

function drawChart(canvas, key, color, unit) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const points = state.series.map((p) => (p[key] === null || p[key] === undefined ? null : p[key]));
  const left = 44, right = 6, top = 8, bottom = 18;
  const w = width - left - right, h = height - top - bottom;
  const values = points.filter((v) => v !== null);
  const max = Math.max(1, ...values) * 1.1;
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#6b7385";
  ctx.strokeStyle = "#e2e5eb";
  ctx.lineWidth = 1;
  for (const f of [0, 0.5, 1]) {
    const y = top + h - f * h;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + w, y); ctx.stroke();
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(short(max * f), left - 6, y);
  }
  ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
  const span = SERIES_MAX;
  ctx.fillText(`${span / 60 | 0} min ago`, left, height - 4);
  ctx.textAlign = "right";
  ctx.fillText("now", left + w, height - 4);
  if (!values.length) {
    ctx.textAlign = "center";
    ctx.fillText("collecting…", left + w / 2, top + h / 2);
    return;
  }
  const x = (i) => left + w - (points.length - 1 - i) * (w / (span - 1));
  const y = (v) => top + h - (v / max) * h;
  ctx.beginPath();
  let started = false;
  points.forEach((v, i) => {
    if (v === null) return;
    if (!started) { ctx.moveTo(x(i), y(v)); started = true; } else ctx.lineTo(x(i), y(v));
  });
  ctx.strokeStyle = color; ctx.lineWidth = 1.8; ctx.stroke();
  canvas._chart = { points, x, y, key, unit, left, w };
}

function drawCharts() {
  drawChart($("chart-rate"), "rate", "#2f6fde", "messages/s");
  drawChart($("chart-mailbox"), "mailbox", "#e09b20", "messages waiting");
}

function chartHover(e) {
  const canvas = e.currentTarget;
  const chart = canvas._chart;
  const tip = $("tooltip");
  if (!chart) { tip.hidden = true; return; }
  const rect = canvas.getBoundingClientRect();
  const px = e.clientX - rect.left;
  const step = chart.w / (SERIES_MAX - 1);
  const i = chart.points.length - 1 - Math.round((chart.left + chart.w - px) / step);
  const value = chart.points[i];
  if (i < 0 || i >= chart.points.length || value === null || value === undefined) { tip.hidden = true; return; }
  const point = state.series[i];
  tip.textContent = `${clock(point.t)}: ${rate(value)} ${chart.unit}`;
  tip.style.left = (e.clientX + 12) + "px";
  tip.style.top = (e.clientY - 28) + "px";
  tip.hidden = false;
}
for (const id of ["chart-rate", "chart-mailbox"]) {
  $(id).addEventListener("mousemove", chartHover);
  $(id).addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
}
window.addEventListener("resize", drawCharts);

drawCharts();
connect();
