/** The page's stylesheet, inlined (no external fonts or files: the page works offline on a Pi). */
export const PAGE_CSS = String.raw`
:root { color-scheme: light dark; --bg:#f6f7f9; --card:#fff; --fg:#1d2430; --muted:#667085; --line:#e3e6ea;
  --ok:#1f9d55; --bad:#d64545; --warn:#c77c02; --none:#98a2b3;
  --waiting:#e8b923; --preparing:#3fa7bd; --rebooting:#9c4fb0; --verifying:#4f7fd9; --idle:#c4cad3; --reboot:#b42318; }
@media (prefers-color-scheme: dark) { :root { --bg:#12161c; --card:#1b2129; --fg:#e6e9ee; --muted:#98a2b3; --line:#2c343f; --idle:#4a5462; } }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
main { max-width:1100px; margin:0 auto; padding:12px 14px 32px; }
header { display:flex; flex-wrap:wrap; align-items:baseline; gap:6px 14px; margin-bottom:10px; }
h1 { font-size:20px; margin:0; font-weight:650; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:22px 0 8px; font-weight:600; }
.ns { color:var(--muted); font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:13px; }
.meta { color:var(--muted); font-size:13px; margin-left:auto; }
.conn { font-size:13px; font-weight:600; padding:2px 9px; border-radius:999px; background:var(--line); }
.conn.live { background:color-mix(in srgb,var(--ok) 18%,transparent); color:var(--ok); }
.conn.down { background:color-mix(in srgb,var(--bad) 18%,transparent); color:var(--bad); }
.banner { border-radius:10px; padding:10px 14px; margin:8px 0; font-weight:600; }
.banner.pause { background:var(--bad); color:#fff; }
.banner.warn { background:color-mix(in srgb,var(--warn) 22%,var(--card)); border:1px solid var(--warn); }
.facts { display:flex; flex-wrap:wrap; gap:6px 18px; color:var(--muted); font-size:14px; }
.facts b { color:var(--fg); font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(220px,1fr)); gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:12px 14px; }
.card .top { display:flex; justify-content:space-between; align-items:baseline; gap:8px; }
.card .name { font-weight:650; overflow-wrap:anywhere; }
.slots { font-size:26px; font-weight:700; font-variant-numeric:tabular-nums; }
.slots small { font-size:13px; color:var(--muted); font-weight:500; }
.bar { display:flex; gap:3px; margin:6px 0 4px; }
.bar i { flex:1; height:8px; border-radius:4px; background:var(--line); }
.bar i.on { background:var(--rebooting); }
.sub { color:var(--muted); font-size:13px; overflow-wrap:anywhere; }
.sub.cool { color:var(--warn); font-weight:600; }
.sub.frozen { color:var(--bad); font-weight:700; }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:12px; overflow:hidden; }
th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); font-weight:600; }
tr:last-child td { border-bottom:0; }
td.node { font-weight:600; font-family:ui-monospace,"DejaVu Sans Mono",monospace; overflow-wrap:anywhere; }
td.why { color:var(--muted); font-size:14px; overflow-wrap:anywhere; }
td.num { font-variant-numeric:tabular-nums; white-space:nowrap; }
.pill { display:inline-block; padding:1px 9px; border-radius:999px; font-size:13px; font-weight:600; white-space:nowrap; border:1px solid transparent; }
.h-healthy { color:var(--ok); border-color:var(--ok); } .h-unhealthy { color:#fff; background:var(--bad); }
.h-stale { color:var(--warn); border-color:var(--warn); } .h-missing { color:var(--none); border-color:var(--none); }
.h-down { color:#fff; background:var(--warn); }
.p-idle { color:var(--muted); background:var(--line); } .p-waiting { background:var(--waiting); color:#3b2c00; }
.p-preparing { background:var(--preparing); color:#fff; } .p-rebooting { background:var(--rebooting); color:#fff; } .p-verifying { background:var(--verifying); color:#fff; }
.tl { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:8px; }
.tl svg { width:100%; height:auto; display:block; font:11px system-ui,sans-serif; }
.tl .lbl { fill:var(--fg); } .tl .grp { fill:var(--muted); font-weight:700; } .tl .axis { fill:var(--muted); }
.tl .grid { stroke:var(--line); } .tl .mark { stroke:var(--reboot); stroke-width:2; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; font-size:12px; color:var(--muted); margin:8px 4px 2px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:3px; margin-right:5px; vertical-align:-1px; }
rect.k-waiting { fill:var(--waiting); } rect.k-preparing { fill:var(--preparing); } rect.k-rebooting { fill:var(--rebooting); } rect.k-verifying { fill:var(--verifying); }
i.k-waiting { background:var(--waiting); } i.k-preparing { background:var(--preparing); } i.k-rebooting { background:var(--rebooting); } i.k-verifying { background:var(--verifying); } i.k-reboot { background:var(--reboot); }
.empty { color:var(--muted); padding:10px 2px; }
footer { color:var(--muted); font-size:12px; margin-top:26px; }
@media (max-width:640px) {
  main { padding:10px 10px 24px; }
  .meta { margin-left:0; width:100%; }
  table, thead, tbody, tr, td { display:block; width:100%; }
  thead { display:none; }
  table { background:none; border:0; }
  tr { background:var(--card); border:1px solid var(--line); border-radius:12px; margin-bottom:8px; padding:6px 4px; }
  td { border:0; padding:3px 10px; display:flex; gap:10px; }
  td::before { content:attr(data-label); min-width:84px; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; padding-top:2px; }
  td.node { font-size:16px; } td.node::before { content:none; min-width:0; }
  td.none { display:none; } /* an empty "why" or "last reboot" says nothing on a small screen */
}
`;
