/**
 * Alertmanager silences for a reboot, over its v2 API: one POST /api/v2/silences when the slot is
 * fenced (ending at the slot's deadline, so a node that never comes back stops being silenced by
 * itself), and DELETE /api/v2/silence/<id> for this node's silences after the post-boot release.
 *
 * Stateless across the reboot (the process that created the silence is gone when the node comes
 * back): our silences are found again by `createdBy` and the comment, which names the node.
 * Nothing here throws or waits unbounded: every request has `timeout_sec`, and a failure is a
 * warning log and `silences_total{result="error"}`. The reboot never waits on Alertmanager beyond
 * the bounded announcement wait it already has (see cli/_runtime.ts).
 */
import type { AlertmanagerConfig } from "../config/index.ts";
import type { Logger, Metrics } from "../observe/index.ts";

export interface Silencer {
  /** The slot is fenced (phase rebooting): silence this node's alerts until `deadline`. Never throws. */
  fenced(slot: { key: string; deadline?: string }): void;
  /** The slot is released after boot: expire this node's silences. Never throws. */
  released(slot: { key: string }): void;
  /** Resolves once every request started so far has finished (each is bounded by its timeout). */
  idle(): Promise<void>;
}

export interface SilencerDeps {
  node: string;
  log: Logger;
  metrics: Metrics;
  now: () => number;
  /** Overridable for tests. */
  fetch?: typeof fetch;
}

/** How long a silence lasts when the slot names no deadline (it should always name one). */
const FALLBACK_SILENCE_MS = 3_600_000;

interface ApiSilence {
  id: string;
  createdBy?: string;
  comment?: string;
  status?: { state?: string };
}

export function createSilencer(cfg: AlertmanagerConfig, deps: SilencerDeps): Silencer {
  const base = cfg.url.replace(/\/+$/, "");
  const doFetch = deps.fetch ?? fetch;
  const inflight = new Set<Promise<void>>();
  // The comment identifies our silences for this node after the reboot (the node name ends it).
  const tag = `reboot of ${deps.node} by clusterrebootd`;
  const matchers = cfg.matchers.map((m) => ({
    name: m.name,
    value: m.value.replaceAll("${NODE_NAME}", m.is_regex ? escapeRegex(deps.node) : deps.node).replaceAll("$NODE_NAME", m.is_regex ? escapeRegex(deps.node) : deps.node),
    isRegex: m.is_regex,
    isEqual: m.is_equal,
  }));

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", accept: "application/json", "user-agent": "clusterrebootd", ...cfg.headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(cfg.timeout_sec * 1000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ""}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };

  const track = (action: "create" | "expire", slot: string, work: () => Promise<Record<string, unknown>>) => {
    const p = work()
      .then((fields) => {
        deps.metrics.inc("silences_total", { action, result: "success" });
        deps.log.event("info", action === "create" ? "silence_created" : "silence_expired", { slot, ...fields });
      })
      .catch((err: unknown) => {
        deps.metrics.inc("silences_total", { action, result: "error" });
        deps.log.event("warn", "silence_failed", { action, slot, url: redactUrl(base), error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  return {
    fenced(slot) {
      const now = deps.now();
      const end = slot.deadline ? Date.parse(slot.deadline) : NaN;
      const endsAt = new Date(Number.isFinite(end) && end > now ? end : now + FALLBACK_SILENCE_MS).toISOString();
      track("create", slot.key, async () => {
        const body = { matchers, startsAt: new Date(now).toISOString(), endsAt, createdBy: cfg.created_by, comment: `${tag} (slot ${slot.key}); expired once the node is back and healthy` };
        const r = (await call("POST", "/api/v2/silences", body)) as { silenceID?: string } | undefined;
        return { silence_id: r?.silenceID, ends_at: endsAt };
      });
    },
    released(slot) {
      track("expire", slot.key, async () => {
        const all = ((await call("GET", "/api/v2/silences")) ?? []) as ApiSilence[];
        const ours = all.filter((s) => s.createdBy === cfg.created_by && (s.comment ?? "").startsWith(`${tag} (`) && s.status?.state !== "expired");
        for (const s of ours) await call("DELETE", `/api/v2/silence/${encodeURIComponent(s.id)}`);
        return { expired: ours.map((s) => s.id) };
      });
    },
    async idle() {
      while (inflight.size) await Promise.all([...inflight]);
    },
  };
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Scheme and host only: credentials may sit in the URL's user info. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid url)";
  }
}
