/**
 * Webhook notifications: one JSON POST per event and webhook, with a timeout and retries with
 * backoff. Fire-and-forget: a slow or dead receiver never delays a pass or a reboot.
 */
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

/** The event list is config/_daemon.ts NOTIFICATION_EVENTS; each is described in README §Notifications. */
export type NotificationEvent = "reboot_started" | "node_healthy" | "blocked" | "stale_slot_freed" | "reboot_failed" | "group_frozen";

/** Why a reboot failed (`reboot_failed`'s `cause`): what the operator has to look at. */
export type RebootFailure = "command_failed" | "reboot_not_happened" | "unhealthy_after_boot";

export interface WebhookSpec {
  url: string;
  events: readonly string[];
  timeout_sec: number;
  retries: number;
  headers: Record<string, string>;
}

export interface Notifier {
  notify(event: NotificationEvent, fields: Record<string, unknown>): void;
  /** Resolves when every notification sent so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export interface NotifierDeps {
  node: string;
  log: Logger;
  metrics?: Metrics;
  /** Overridable for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const RETRY_BASE_MS = 500;

export function createNotifier(hooks: readonly WebhookSpec[], deps: NotifierDeps): Notifier {
  const inflight = new Set<Promise<void>>();
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  async function send(h: WebhookSpec, event: NotificationEvent, body: string): Promise<void> {
    for (let attempt = 0; attempt <= h.retries; attempt++) {
      try {
        const res = await doFetch(h.url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": "clusterrebootd", ...h.headers },
          body,
          signal: AbortSignal.timeout(h.timeout_sec * 1000),
        });
        if (res.ok) {
          deps.metrics?.inc("notifications_total", { event, result: "success" });
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Error(`HTTP ${res.status} (not retried)`);
        throw Object.assign(new Error(`HTTP ${res.status}`), { retry: true });
      } catch (err) {
        const retry = attempt < h.retries && !(err instanceof Error && err.message.includes("not retried"));
        if (!retry) {
          deps.metrics?.inc("notifications_total", { event, result: "error" });
          deps.log.event("warn", "notification_failed", { event, url: redact(h.url), attempts: attempt + 1, error: err instanceof Error ? err.message : String(err) });
          return;
        }
        await sleep(RETRY_BASE_MS * 2 ** attempt);
      }
    }
  }
  return {
    notify(event, fields) {
      const body = JSON.stringify({ event, node: deps.node, at: new Date().toISOString(), ...fields });
      for (const h of hooks) {
        if (!h.events.includes(event)) continue;
        const p = send(h, event, body).finally(() => inflight.delete(p));
        inflight.add(p);
      }
    },
    async idle() {
      while (inflight.size) await Promise.all([...inflight]);
    },
  };
}

/**
 * Scheme and host only: Slack, Discord and most chat webhooks carry their secret in the path
 * (hooks.slack.com/services/T…/B…/<token>), others in the query or user info.
 */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid url)";
  }
}
