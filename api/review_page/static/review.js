// The review page: the queue, one proposal at a time, decisions through the JSON API.
// Same-origin only: every request is to this server, with the session cookie and the
// CSRF token of the page.
"use strict";
(function () {
  const $ = (s, el) => (el || document).querySelector(s);
  const $$ = (s, el) => Array.from((el || document).querySelectorAll(s));
  const csrf = () => $('meta[name="csrf-token"]').content;
  const notice = (text, ok) => {
    const n = $("#notice");
    n.textContent = text;
    n.className = ok ? "ok" : "";
    n.hidden = !text;
  };

  async function send(method, url, body) {
    const r = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { status: r.status, data };
  }
  const message = (res) => (res.data && res.data.error ? res.data.error.message : "HTTP " + res.status);

  // -- sign in / out ------------------------------------------------------------
  const signin = $("#signin");
  if (signin) {
    signin.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const key = $("#key");
      const res = await send("POST", "/review/session", { key: key.value });
      key.value = "";
      if (res.status === 204) location.reload();
      else $("#signin-error").textContent = message(res);
    });
  }
  const out = $("#signout");
  if (out) out.addEventListener("click", async () => { await send("POST", "/review/signout"); location.href = "/review"; });

  // -- orphans ------------------------------------------------------------------
  $$("[data-orphan-action]").forEach((b) => b.addEventListener("click", async () => {
    const sec = b.closest("[data-orphan]");
    const id = sec.dataset.orphan;
    const reason = $(".o-reason", sec).value || null;
    const act = b.dataset.orphanAction;
    const res = act === "undo"
      ? await send("POST", `/orphans/${encodeURIComponent(id)}/undo`, { reason })
      : await send("POST", `/orphans/${encodeURIComponent(id)}/resolution`,
          act === "link" ? { action: "link", record_key: b.dataset.record, reason } : { action: "expected", reason });
    if (res.status === 201) {
      $(".resolution", sec).textContent = act === "undo" ? "open" : act === "link" ? "linked" : "expected";
      notice(`${id}: ${act === "undo" ? "resolution undone" : act === "link" ? "linked" : "marked expected"}`, true);
    } else notice(message(res));
  }));

  // -- the queue ----------------------------------------------------------------
  const app = $("#app");
  if (!app) return;
  const canDecide = app.dataset.canDecide === "yes";
  const filters = $("#filters");
  const cache = new Map(); // proposal id -> fragment HTML (prefetched)
  let rows = [];
  let at = -1;
  let member = 0;
  const timings = (window.__review = { shown: 0 });

  const query = () => {
    const p = new URLSearchParams();
    new FormData(filters).forEach((v, k) => { if (v !== "") p.set(k, v); });
    return p;
  };
  let queueAsked = 0; // filters changed quickly: only the newest answer is shown
  async function loadQueue(keep) {
    const asked = ++queueAsked;
    const r = await fetch("/review/queue?" + query(), { credentials: "same-origin" });
    const html = await r.text();
    if (asked !== queueAsked) return;
    $("#queue").innerHTML = html;
    rows = $$("#queue tr[data-id]");
    rows.forEach((tr, i) => tr.addEventListener("click", (ev) => { ev.preventDefault(); show(i); }));
    cache.clear();
    if (rows.length) show(keep && at >= 0 ? Math.min(at, rows.length - 1) : 0);
    else { at = -1; $("#proposal").innerHTML = "<p>Nothing to review in this filter.</p>"; }
  }
  async function fragment(id, fresh) {
    if (!fresh && cache.has(id)) return cache.get(id);
    const r = await fetch("/review/p/" + encodeURIComponent(id), { credentials: "same-origin" });
    const html = await r.text();
    cache.set(id, html);
    return html;
  }
  async function show(i, fresh) {
    if (i < 0 || i >= rows.length) return;
    at = i;
    rows.forEach((tr, j) => tr.classList.toggle("current-row", j === i));
    rows[i].scrollIntoView({ block: "nearest" });
    const id = rows[i].dataset.id;
    const html = await fragment(id, fresh);
    if (rows[at] !== rows[i]) return; // moved on meanwhile
    $("#proposal").innerHTML = html;
    member = 0;
    focusMember(0);
    wireProposal();
    timings.shown += 1;
    document.dispatchEvent(new CustomEvent("proposal-shown", { detail: id }));
    if (i + 1 < rows.length) fragment(rows[i + 1].dataset.id); // prefetch the next one
  }
  function wireProposal() {
    $$("#proposal .member-btn").forEach((b) => b.addEventListener("click", () => openSource(+b.dataset.source)));
    $$("#proposal select.group").forEach((g) => g.addEventListener("change", () => paintGroups()));
    // drag a member's column head onto another's: it joins that member's group
    $$("#proposal th.member").forEach((h) => {
      if (!canDecide) return;
      h.draggable = true;
      h.addEventListener("dragstart", (ev) => { ev.dataTransfer.setData("text/plain", h.dataset.member); h.classList.add("dragging"); });
      h.addEventListener("dragend", () => h.classList.remove("dragging"));
      h.addEventListener("dragover", (ev) => ev.preventDefault());
      h.addEventListener("drop", (ev) => {
        ev.preventDefault();
        const from = $$("#proposal select.group")[+ev.dataTransfer.getData("text/plain")];
        const to = $("select.group", h);
        if (from && to && from !== to) { from.value = to.value; paintGroups(); }
      });
    });
    paintGroups();
  }
  function paintGroups() {
    $$("#proposal select.group").forEach((g) => {
      const th = g.closest("th");
      th.className = th.className.replace(/\bg-\d+\b/g, "").trim() + " g-" + g.value;
      th.classList.toggle("out", g.value !== "1");
    });
  }
  function takeOut(i) {
    // the member leaves its group for a group of its own; alone already: back to group 1
    const sel = $$("#proposal select.group");
    const g = sel[i];
    if (!g) return;
    const used = sel.map((x) => x.value);
    const alone = used.filter((v) => v === g.value).length === 1;
    if (alone) g.value = "1";
    else { let n = 1; while (used.includes(String(n))) n++; g.value = String(n); }
    paintGroups();
  }
  function splitGroups() {
    const groups = new Map();
    $$("#proposal select.group").forEach((g) => {
      if (!groups.has(g.value)) groups.set(g.value, []);
      groups.get(g.value).push(g.dataset.key);
    });
    return Array.from(groups.values());
  }
  function goldenPicks() {
    const picks = {};
    $$("#proposal table.gold input[type=radio]:checked").forEach((r) => {
      if (r.value) picks[r.name.replace(/^gold-/, "")] = r.value;
    });
    return picks;
  }
  function focusMember(i) {
    const heads = $$("#proposal th.member");
    if (!heads.length) return;
    member = Math.max(0, Math.min(i, heads.length - 1));
    heads.forEach((h, j) => h.classList.toggle("focused", j === member));
  }
  function openSource(i) {
    const d = $("#source-" + i);
    if (d) d.showModal();
  }
  const nextOpen = () => {
    for (let j = at + 1; j < rows.length; j++) if (rows[j].dataset.status === "open") return j;
    return Math.min(at + 1, rows.length - 1);
  };

  async function decide(action) {
    if (!canDecide || at < 0) return;
    const art = $("#proposal article");
    if (!art) return;
    const body = { action, version: art.dataset.version };
    const reason = $("#reason").value.trim();
    if (reason) body.reason = reason;
    if (action === "split") {
      const groups = splitGroups();
      if (groups.length < 2) { notice("Put the members in two groups or more first (x takes the focused member out)."); return; }
      body.groups = groups;
    }
    if (action === "accept") {
      const picks = goldenPicks();
      if (Object.keys(picks).length) body.golden = picks;
    }
    const id = art.dataset.id;
    const res = await send("POST", `/proposals/${encodeURIComponent(id)}/decisions`, body);
    if (res.status === 201) {
      const status = res.data.status;
      rows[at].dataset.status = status;
      $(".status", rows[at]).textContent = status;
      cache.delete(id);
      $("#reason").value = "";
      notice(`${id}: ${action === "undo" ? "undone, now " + status : status}`, true);
      refreshProgress();
      if (action === "undo") show(at, true);
      else show(nextOpen());
    } else if (res.status === 409) {
      // someone else decided: show the fresh state; the reason typed stays as it is
      cache.delete(id);
      const det = res.data.error.details || {};
      const cur = det.current || det;
      const last = (cur.history || []).slice(-1)[0];
      notice(`This proposal changed while you looked: it is now ${cur.status || "changed"}` +
        (last ? ` (${last.action} by ${last.reviewer})` : "") + ". Here is its fresh state; your reason is kept.");
      await show(at, true);
    } else notice(message(res));
  }
  async function refreshProgress() {
    const asked = queueAsked;
    const r = await fetch("/review/queue?" + query() + "&limit=1", { credentials: "same-origin" });
    if (asked !== queueAsked) return; // the queue was reloaded meanwhile, progress with it
    const tmp = document.createElement("div");
    tmp.innerHTML = await r.text();
    const p = $("#progress", tmp);
    if (p) $("#progress").replaceWith(p);
  }

  // -- bulk ---------------------------------------------------------------------
  function bulkFilter() {
    const q = query();
    const f = {};
    ["object", "system", "kind", "min_confidence", "max_confidence"].forEach((k) => {
      if (q.get(k)) f[k] = k.endsWith("confidence") ? +q.get(k) : q.get(k);
    });
    return f;
  }
  async function bulk() {
    if (!canDecide) return;
    const f = bulkFilter();
    const r = await fetch("/bulk-decisions/preview?" + new URLSearchParams(f), { credentials: "same-origin" });
    const pv = await r.json();
    if (!pv.count) { notice("No open auto-merge suggestion in this filter."); return; }
    const dlg = $("#confirm");
    $("#confirm-text").textContent = `Accept ${pv.count} proposals suggested for auto-merge, ` +
      `${(pv.stake_cents / 100).toLocaleString("en-US", { style: "currency", currency: "USD" })} at stake? You can undo this as one step.`;
    dlg.returnValue = "";
    dlg.showModal();
    $("#confirm-ok").focus();
    dlg.addEventListener("close", async function once() {
      dlg.removeEventListener("close", once);
      if (dlg.returnValue !== "ok") return;
      const reason = $("#reason").value.trim() || null;
      const res = await send("POST", "/bulk-decisions", { ...f, expect_count: pv.count, expect_stake_cents: pv.stake_cents, reason });
      if (res.status === 201) {
        notice(`Accepted ${res.data.count} proposals (bulk ${res.data.batch_id}).`, true);
        bulkUndoButton(res.data.batch_id, res.data.count);
        await loadQueue(false);
      } else notice(message(res));
    });
  }
  function bulkUndoButton(batch, n) {
    const slot = $("#bulk-undo-slot");
    slot.innerHTML = "";
    const b = document.createElement("button");
    b.type = "button";
    b.id = "bulk-undo";
    b.textContent = `Undo the bulk accept of ${n}`;
    b.addEventListener("click", async () => {
      const res = await send("POST", `/bulk-decisions/${encodeURIComponent(batch)}/undo`, { reason: null });
      if (res.status === 201) { notice(`Undid ${res.data.count} decisions of bulk ${batch}.`, true); slot.innerHTML = ""; await loadQueue(false); }
      else notice(message(res));
    });
    slot.appendChild(b);
  }
  const bulkBtn = $("#bulk");
  if (bulkBtn) bulkBtn.addEventListener("click", bulk);
  $$("#decide [data-action]").forEach((b) => b.addEventListener("click", () => decide(b.dataset.action)));
  filters.addEventListener("change", () => loadQueue(false));

  // -- keys ---------------------------------------------------------------------
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    const choice = t && t.tagName === "INPUT" && (t.type === "radio" || t.type === "checkbox");
    const typing = t && ((t.tagName === "INPUT" && !choice) || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (ev.key === "Escape") { if (typing || choice) t.blur(); return; }
    if (typing || $("dialog[open]")) return;
    if (choice && ev.key.startsWith("Arrow")) return; // arrows move within a radio group
    const k = ev.key;
    const act = {
      j: () => show(at + 1), ArrowDown: () => show(at + 1),
      k: () => show(at - 1), ArrowUp: () => show(at - 1),
      a: () => decide("accept"), r: () => decide("reject"), s: () => decide("split"), u: () => decide("undo"),
      x: () => takeOut(member),
      o: () => openSource(member),
      e: () => { const r = $("#reason"); if (r) r.focus(); },
      "/": () => { const s = $("select", filters); if (s) s.focus(); },
      b: () => bulk(),
      "?": () => $("#help").showModal(),
    }[k] || (/^[1-9]$/.test(k) ? () => focusMember(+k - 1) : null);
    if (act) { ev.preventDefault(); act(); }
  });
  loadQueue(false);
})();
