/** Metrics registry and the /metrics + /healthz listener of `run`. */
import type { Config } from "../config/index.ts";
import { createPromMetrics, noopMetrics, serveMetrics, type Metrics } from "../observe/index.ts";
import type { Coordinator } from "../orchestrate/context.ts";
import { outcome, type Outcome } from "../orchestrate/outcome.ts";
import { buildInfo } from "../version.ts";
import type { CliContext } from "./_context.ts";

export type Observability =
  | { ok: false; outcome: Outcome }
  | {
      ok: true;
      metrics: Metrics;
      address?: string;
      /** Gives /healthz the plan's intervals. */
      attach(co: Coordinator): void;
      /** A pass completed: liveness timestamp. */
      passed(): void;
      stop(): Promise<void>;
    };

/** The registry and, with metrics.enabled, the listener (`run`, `run --once`); none for `noListener` (a timer pass). */
export async function startObservability(cfg: Config, noListener: boolean, cli: Pick<CliContext, "ports" | "stderr">): Promise<Observability> {
  if (!cfg.metrics.enabled || noListener) {
    return { ok: true, metrics: noopMetrics, attach() {}, passed() {}, stop: async () => {} };
  }
  const metrics = await createPromMetrics();
  const b = buildInfo();
  metrics.set("build_info", 1, { version: b.version, commit: b.commit });
  const clock = cli.ports.clock;
  const started = clock.now();
  let lastPass = 0;
  let stallMs = 0;
  let server;
  try {
    server = serveMetrics(cfg.metrics.listen, metrics, () => {
      const since = clock.now() - (lastPass || started);
      // Liveness: a pass within a few intervals (etcd waits back off up to backoff_max_sec).
      const ok = stallMs === 0 || since < stallMs;
      return { ok, detail: lastPass ? `last pass ${Math.round(since / 1000)}s ago` : `starting for ${Math.round(since / 1000)}s` };
    });
  } catch (err) {
    cli.stderr(`failed to start metrics listener on ${cfg.metrics.listen}: ${err instanceof Error ? err.message : String(err)}\n`);
    return { ok: false, outcome: outcome("runtime_error", "metrics listener") };
  }
  cli.stderr(`metrics server listening on ${server.address}\n`);
  return {
    ok: true,
    metrics,
    address: server.address,
    attach(co) {
      const p = co.plan;
      stallMs = 3 * p.checkIntervalMs + 2 * p.backoffMaxMs + 3 * p.healthTimeoutMs + p.rebootGraceMs;
    },
    passed() {
      lastPass = clock.now();
    },
    stop: () => server.stop(),
  };
}
