/**
 * The page: one HTML document with its stylesheet and script inline — no external scripts, fonts
 * or CDNs, so it works offline on a Pi. The current state is embedded, so the page shows the
 * fleet even before (or without) the live stream. A Content-Security-Policy with the hashes of the
 * inline style and script forbids anything else, so nothing external can slip in later.
 */
import { createHash } from "node:crypto";
import { PAGE_JS } from "./_page-script.ts";
import { PAGE_CSS } from "./_page-style.ts";

const sha = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

export function pageSecurityHeaders(): Record<string, string> {
  return {
    "content-security-policy": `default-src 'none'; style-src ${sha(PAGE_CSS)}; script-src ${sha(PAGE_JS)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

/** `json` is the current state document (or undefined before the first read). */
export function pageHtml(json: string | undefined): string {
  // In a <script> element only "</script" and "<!--" matter; escaping every "<" covers both.
  const embedded = (json ?? "null").replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clusterrebootd fleet</title>
<link rel="icon" href="data:,">
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header>
<h1>clusterrebootd fleet</h1><span class="ns" id="ns"></span>
<span class="conn" id="conn">connecting…</span>
<span class="meta"><span id="rev"></span> · <span id="updated"></span> · read-only</span>
</header>
<div class="banner pause" id="paused" hidden></div>
<div class="banner warn" id="etcd-error" hidden></div>
<div class="facts" id="facts"></div>
<h2>Groups</h2>
<div class="cards" id="groups"></div>
<h2>Nodes</h2>
<table><thead><tr><th>node</th><th>group</th><th>health</th><th>phase</th><th>since</th><th>why</th><th>last reboot</th></tr></thead><tbody id="nodes"></tbody></table>
<h2>Recent reboots</h2>
<div class="tl"><div id="timeline"></div>
<div class="legend"><span><i class="k-waiting"></i>waiting</span><span><i class="k-preparing"></i>preparing (slot taken)</span><span><i class="k-rebooting"></i>rebooting</span><span><i class="k-verifying"></i>booted, verifying</span><span><i class="k-reboot"></i>reboot command</span></div></div>
<footer>Updates live from etcd watches. Nothing on this page changes the cluster: use <code>clusterrebootd pause</code>, <code>resume</code> or <code>unlock</code> for that.</footer>
</main>
<script type="application/json" id="initial-state">${embedded}</script>
<script>${PAGE_JS}</script>
</body>
</html>
`;
}
