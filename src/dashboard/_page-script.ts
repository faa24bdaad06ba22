/**
 * The page's script, inlined: renders the state document (initially embedded in the page, then
 * from the `state` events of /events) and ticks the ages once a second. It only reads: there is no
 * control on the page. Plain ES5-ish JavaScript so old phone browsers cope; written without
 * template literals because it lives inside one.
 */
export const PAGE_JS = String.raw`
(function () {
  "use strict";
  var state = null, ticks = 0;
  var $ = function (id) { return document.getElementById(id); };
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function dur(s) {
    if (s < 90) return s + "s";
    if (s < 5400) return Math.round(s / 60) + "m";
    if (s < 172800) return Math.round(s / 3600) + "h";
    return Math.round(s / 86400) + "d";
  }
  function ago(iso) { return iso ? dur(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))) : "—"; }
  /** Time left, never rounded up (4 d 17 h is not "5d"), in two units once it is long. */
  function left(iso) {
    var s = Math.max(0, Math.floor((Date.parse(iso) - Date.now()) / 1000));
    if (s < 90) return s + "s";
    if (s < 5400) return Math.floor(s / 60) + "m";
    if (s < 172800) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  /** Local wall-clock time, 24-hour: the same on every phone and desktop. */
  function time(iso, short) {
    var d = new Date(iso);
    if (isNaN(d)) return "?";
    return two(d.getHours()) + ":" + two(d.getMinutes()) + (short && d.getSeconds() === 0 ? "" : ":" + two(d.getSeconds()));
  }
  function span(cls, text, attrs) { return '<span class="' + cls + '"' + (attrs || "") + ">" + esc(text) + "</span>"; }

  function groupCard(g) {
    var bar = "";
    for (var i = 0; i < Math.min(g.limit, 12); i++) bar += "<i" + (i < g.used ? ' class="on"' : "") + "></i>";
    var cool = g.cooldown
      ? '<div class="sub cool" data-cooldown>cooling down' + (g.cooldown.until ? ', <span data-left="' + esc(g.cooldown.until) + '">' + left(g.cooldown.until) + "</span> left" : "") + (g.cooldown.node ? " (after " + esc(g.cooldown.node) + ")" : "") + "</div>"
      : "";
    return '<div class="card" data-group="' + esc(g.name) + '"><div class="top"><span class="name">' + esc(g.name) + '</span><span class="slots">' +
      g.used + "/" + g.limit + " <small>slots</small></span></div><div class=\"bar\">" + bar + '</div><div class="sub">' +
      (g.holders.length ? "held by " + esc(g.holders.join(", ")) : "no slot taken") +
      (g.down && g.down.length ? "; down without a slot: " + esc(g.down.join(", ")) : "") + "</div>" + cool +
      (g.frozen ? '<div class="sub frozen" data-frozen>FROZEN: ' + esc(g.frozen.node || "?") + " " + esc(g.frozen.reason || "") + " at " + esc(g.frozen.at ? time(g.frozen.at) : "?") + " (resume --group " + esc(g.name) + ")</div>" : "") + "</div>";
  }

  function why(n) {
    if (n.waiting) return n.waiting.source === "derived" ? '<span title="seen by the page; the daemon did not say">' + esc(n.waiting.reason) + "</span>" : esc(n.waiting.reason);
    if (n.slot) return esc(n.slot.holder === "daemon" ? "holds a slot" : "slot held by " + n.slot.holder) + (n.slot.deadline ? ", a failed reboot if not back and healthy by " + esc(time(n.slot.deadline)) : "");
    if (n.health !== "healthy" && n.health_detail) return esc(n.health_detail);
    return "";
  }

  function nodeRow(n) {
    return '<tr data-node="' + esc(n.node) + '" data-phase="' + esc(n.phase) + '">' +
      '<td class="node" data-label="node">' + esc(n.node) + "</td>" +
      '<td data-label="group">' + esc(n.group) + "</td>" +
      '<td data-label="health">' + span("pill h-" + n.health, n.health, n.health_detail ? ' title="' + esc(n.health_detail) + '"' : "") + "</td>" +
      '<td class="phase" data-label="phase">' + span("pill p-" + n.phase, n.phase) + "</td>" +
      '<td class="num" data-label="since">' + (n.since ? '<span data-ago="' + esc(n.since) + '" title="' + esc(n.since) + '">' + ago(n.since) + "</span>" : "—") + "</td>" +
      '<td class="why' + (why(n) ? "" : " none") + '" data-label="why">' + (why(n) || "—") + "</td>" +
      '<td class="num' + (n.last_reboot_at ? "" : " none") + '" data-label="last reboot">' + (n.last_reboot_at ? '<span><span data-ago="' + esc(n.last_reboot_at) + '">' + ago(n.last_reboot_at) + "</span> ago" + (n.reboots_24h > 1 ? " (" + n.reboots_24h + "× 24h)" : "") + "</span>" : "—") + "</td></tr>";
  }

  function niceStep(ms, maxTicks) {
    var steps = [5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5];
    for (var i = 0; i < steps.length; i++) if (ms / steps[i] <= maxTicks) return steps[i];
    return 144e5;
  }

  function timeline(v) {
    // From the first thing to show (a little before it) to now: at least 30 s, at most 6 h.
    var t = v.timeline, nowMs = Date.now(), first = nowMs;
    t.spans.forEach(function (s) { first = Math.min(first, Date.parse(s.from)); });
    t.reboots.forEach(function (r) { first = Math.min(first, Date.parse(r.at)); });
    var from = Math.max(nowMs - 6 * 3600e3, Math.min(nowMs - 30e3, first - (nowMs - first) * 0.05));
    // Drawn at the box's real width, so labels keep their size on a phone.
    var box = $("timeline").clientWidth || 770, L = box < 500 ? 84 : 118, R = 12, W = Math.max(160, box - L - R);
    var total = Math.max(1, nowMs - from), row = 22, y = 22, out = [];
    var x = function (ms) { return L + Math.max(0, Math.min(1, (ms - from) / total)) * W; };
    var step = niceStep(total, Math.max(2, Math.floor(W / 80))), groups = {};
    v.nodes.forEach(function (n) { (groups[n.group] = groups[n.group] || []).push(n.node); });
    var rows = [];
    Object.keys(groups).sort().forEach(function (g) { rows.push({ group: g }); groups[g].forEach(function (n) { rows.push({ node: n }); }); });
    var height = 22 + rows.length * row + 18;
    for (var tk = Math.ceil(from / step) * step; tk <= nowMs; tk += step) {
      var tx = x(tk).toFixed(1);
      out.push('<line class="grid" x1="' + tx + '" y1="14" x2="' + tx + '" y2="' + (height - 16) + '"/>');
      out.push('<text class="axis" x="' + tx + '" y="' + (height - 4) + '" text-anchor="middle">' + esc(time(new Date(tk).toISOString(), true)) + "</text>");
    }
    rows.forEach(function (r) {
      if (r.group) { out.push('<text class="grp" x="4" y="' + (y + 15) + '">' + esc(r.group) + "</text>"); y += row; return; }
      out.push('<text class="lbl" x="14" y="' + (y + 15) + '">' + esc(r.node) + "</text>");
      out.push('<line class="grid" x1="' + L + '" y1="' + (y + row / 2) + '" x2="' + (L + W) + '" y2="' + (y + row / 2) + '"/>');
      t.spans.forEach(function (s) {
        if (s.node !== r.node) return;
        var x0 = x(Date.parse(s.from)), x1 = x(s.to ? Date.parse(s.to) : nowMs);
        out.push('<rect x="' + x0.toFixed(1) + '" y="' + (y + 4) + '" width="' + Math.max(2, x1 - x0).toFixed(1) + '" height="' + (row - 8) + '" rx="3" class="k-' + s.phase + '"><title>' +
          esc(r.node + " " + s.phase + " " + time(s.from) + "–" + (s.to ? time(s.to) : "now")) + "</title></rect>");
      });
      t.reboots.forEach(function (b) {
        if (b.node !== r.node || Date.parse(b.at) < from) return;
        var bx = x(Date.parse(b.at)).toFixed(1);
        out.push('<line class="mark" x1="' + bx + '" y1="' + (y + 1) + '" x2="' + bx + '" y2="' + (y + row - 1) + '"><title>' + esc(r.node + " reboot command " + time(b.at)) + "</title></line>");
      });
      y += row;
    });
    return '<svg viewBox="0 0 ' + (L + W + R) + " " + height + '" role="img" aria-label="timeline of recent reboots">' + out.join("") + "</svg>";
  }

  function render() {
    var v = state;
    if (!v) return;
    $("ns").textContent = v.namespace;
    $("rev").textContent = "etcd revision " + v.revision;
    var p = $("paused");
    p.hidden = !v.paused;
    if (v.paused) p.textContent = "PAUSED by " + v.paused.by + " at " + time(v.paused.at) + ": " + v.paused.reason + " — no new reboot starts anywhere";
    var e = $("etcd-error");
    e.hidden = v.etcd.ok;
    if (!v.etcd.ok) e.textContent = "etcd unreadable, showing the last state read: " + v.etcd.error;
    var facts = [];
    facts.push("<span>slots in use <b>" + v.global.used + (v.global.limit !== null ? "/" + v.global.limit + "</b> (global cap)" : "</b>") + "</span>");
    var waiting = v.nodes.filter(function (n) { return n.phase === "waiting"; }).length;
    facts.push("<span>nodes <b>" + v.nodes.length + "</b>, waiting <b>" + waiting + "</b></span>");
    if (v.windows) facts.push('<span id="window">window <b>' + esc(v.windows.now.replace("_", " ")) + "</b>" + (v.windows.next_change ? ", " + (v.windows.now === "allowed" ? "closes" : "next opens") + ' in <b data-left="' + esc(v.windows.next_change) + '">' + left(v.windows.next_change) + "</b> (" + esc(v.windows.next_change_local || "?") + " " + esc(v.windows.timezone) + ")" : " (" + esc(v.windows.timezone) + ")") + "</span>");
    else facts.push('<span id="window">no maintenance windows: any time</span>');
    $("facts").innerHTML = facts.join("");
    $("groups").innerHTML = v.groups.length ? v.groups.map(groupCard).join("") : '<div class="empty">no groups yet</div>';
    $("nodes").innerHTML = v.nodes.length ? v.nodes.map(nodeRow).join("") : '<tr><td class="empty" colspan="7">no nodes registered yet</td></tr>';
    $("timeline").innerHTML = timeline(v);
  }

  function tick() {
    var els = document.querySelectorAll("[data-ago]");
    for (var i = 0; i < els.length; i++) els[i].textContent = ago(els[i].getAttribute("data-ago"));
    els = document.querySelectorAll("[data-left]");
    for (i = 0; i < els.length; i++) els[i].textContent = left(els[i].getAttribute("data-left"));
    if (state) $("updated").textContent = "changed " + ago(state.generated_at) + " ago";
    if (state && ++ticks % 5 === 0) $("timeline").innerHTML = timeline(state);
  }

  function setConn(c) {
    var el = $("conn");
    el.className = "conn " + (c === "live" ? "live" : c === "reconnecting" ? "down" : "");
    el.textContent = c === "live" ? "● live" : c === "reconnecting" ? "reconnecting…" : "connecting…";
  }

  function apply(v) { state = v; render(); tick(); }

  var initial = $("initial-state");
  if (initial) { try { var v0 = JSON.parse(initial.textContent); if (v0) apply(v0); } catch (err) { /* shown once the stream delivers */ } }
  if (window.EventSource) {
    var es = new EventSource("events");
    es.addEventListener("state", function (ev) { apply(JSON.parse(ev.data)); setConn("live"); });
    es.onopen = function () { setConn("live"); };
    es.onerror = function () { setConn("reconnecting"); };
  }
  setInterval(tick, 1000);
  window.addEventListener("resize", function () { if (state) $("timeline").innerHTML = timeline(state); });
  document.documentElement.setAttribute("data-ready", "1");
})();
`;
