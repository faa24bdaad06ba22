/**
 * From etcd to the page: one prefix watch; on any event, re-read the whole state with
 * `readClusterState` (the same read as `clusterrebootd cluster`), build the view and hand it on
 * when it changed. Reads are debounced and bounded — at most one per `minRefreshMs` however many
 * events arrive, one trailing read for events during a read — and nothing wakes up while nothing
 * changes, except one timer for the next maintenance-window change (when windows are set) and a
 * bounded retry while etcd reads fail. `refreshIfOlder` lets the stream's heartbeat (which runs
 * only while a page is open) re-read when nothing was read for a while: an etcd that went away
 * sends no watch event, and the page must say so rather than look live.
 */
import type { EtcdGateway, WatchHandle } from "../etcd/index.ts";
import { readClusterState, type Keys } from "../slots/index.ts";
import type { DashboardMetrics } from "./_metrics.ts";
import { createPhaseTracker } from "./timeline.ts";
import { buildView, type FleetView, type ViewOptions } from "./view.ts";

/** Events that arrive together (one transaction writes several keys) are read once. */
export const DEBOUNCE_MS = 20;
export const RETRY_MIN_MS = 1_000;
export const RETRY_MAX_MS = 30_000;
/** Re-evaluate windows at their next change, but at least this often while they are set. */
const WINDOW_RECHECK_MAX_MS = 3_600_000;

export interface FeedOptions {
  gw: EtcdGateway;
  keys: Keys;
  view: ViewOptions;
  minRefreshMs: number;
  metrics: DashboardMetrics;
  /** Called with each changed view and its JSON. */
  onView(view: FleetView, json: string): void;
  onReadError?(message: string): void;
  /** The Clock port's now: the view's times, the debounce and the retry. */
  now: () => number;
}

export interface Feed {
  /** Watches, then reads once; throws when that first read fails (etcd unreachable). */
  start(): Promise<void>;
  current(): { view: FleetView; json: string } | undefined;
  /** Schedules a read unless one succeeded within `ms` (or one is already due). */
  refreshIfOlder(ms: number): void;
  /** Number of etcd reads so far (tests check the bound). */
  reads(): number;
  stop(): Promise<void>;
}

export function createFeed(o: FeedOptions): Feed {
  const now = o.now;
  const tracker = createPhaseTracker();
  let watch: WatchHandle | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let windowTimer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  let dirty = false;
  let stopped = false;
  let lastReadAt = -Infinity;
  let lastOkAt = -Infinity;
  let retryMs = 0;
  let readCount = 0;
  let last: { view: FleetView; json: string; key: string } | undefined;

  const publish = (view: FleetView) => {
    // generated_at changes on every read; only a change of content is an event.
    const key = JSON.stringify({ ...view, generated_at: "" });
    if (last && key === last.key) return;
    const json = JSON.stringify(view);
    last = { view, json, key };
    o.metrics.events++;
    o.onView(view, json);
  };

  const readOnce = async () => {
    readCount++;
    lastReadAt = now();
    const state = await readClusterState(o.gw, o.keys);
    o.metrics.reads.ok++;
    lastOkAt = now();
    const t = now();
    const view = tracker.annotate(buildView({ state, nowMs: t, opts: o.view, prior: tracker.phaseOf }), t);
    publish(view);
    armWindowTimer(view);
  };

  const schedule = (delayMs?: number) => {
    if (stopped) return;
    if (inFlight) {
      dirty = true;
      return;
    }
    if (timer) return;
    const wait = delayMs ?? Math.max(DEBOUNCE_MS, lastReadAt + o.minRefreshMs - now());
    timer = setTimeout(run, wait);
  };

  const run = async () => {
    timer = undefined;
    inFlight = true;
    dirty = false;
    let retry = false;
    try {
      await readOnce();
      retryMs = 0;
    } catch (err) {
      o.metrics.reads.error++;
      const message = err instanceof Error ? err.message : String(err);
      o.onReadError?.(message);
      // Keep showing the last good state, marked as such: unreadable is never "empty".
      if (last) publish({ ...last.view, etcd: { ok: false, error: message } });
      retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, retryMs * 2));
      retry = true;
    } finally {
      inFlight = false;
    }
    if (retry) schedule(retryMs);
    else if (dirty) schedule();
  };

  const armWindowTimer = (view: FleetView) => {
    if (windowTimer) clearTimeout(windowTimer);
    windowTimer = undefined;
    const next = view.windows?.next_change;
    if (!view.windows || stopped) return;
    const inMs = next ? Date.parse(next) - now() + 50 : WINDOW_RECHECK_MAX_MS;
    windowTimer = setTimeout(() => schedule(), Math.min(WINDOW_RECHECK_MAX_MS, Math.max(1_000, inMs)));
  };

  return {
    async start() {
      // Watch first, then read: a change between the two is read again, never missed.
      watch = await o.gw.watchPrefix(`${o.keys.prefix}/`, () => schedule());
      await readOnce();
    },
    current: () => (last ? { view: last.view, json: last.json } : undefined),
    refreshIfOlder(ms) {
      if (now() - lastOkAt >= ms && retryMs === 0) schedule();
    },
    reads: () => readCount,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (windowTimer) clearTimeout(windowTimer);
      await watch?.cancel();
    },
  };
}
