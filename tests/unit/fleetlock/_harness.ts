/**
 * FleetLock servers on a real etcd for the integration tests (tests/integration/fleetlock*.ts):
 * settings with test defaults, a server on a random loopback port, and a raw HTTP call that sends
 * exactly what Zincati sends.
 */
import type { EtcdGateway } from "../../../src/etcd/index.ts";
import {
  createEtcdBackend,
  createFleetLockHandler,
  startFleetLockServer,
  type BackendSettings,
  type FleetLockHandler,
  type FleetLockHooks,
  type RunningServer,
} from "../../../src/fleetlock/index.ts";
import { memoryLogger } from "../../../src/observe/index.ts";
import { realPorts, systemClock, type Clock } from "../../../src/platform/index.ts";
import type { Keys } from "../../../src/slots/index.ts";
import { parseWindows } from "../../../src/windows/index.ts";

export const LIMITS: Record<string, number> = { default: 1, g: 2, workers: 2, other: 1 };

export function testSettings(over: Partial<BackendSettings> & { deny?: string[] } = {}): BackendSettings {
  const w = parseWindows({ deny: over.deny ?? [], allow: [], timezone: "UTC" });
  if (!w.ok) throw new Error(w.errors.join("; "));
  const { deny: _deny, ...rest } = over;
  return {
    limitFor: (g) => LIMITS[g],
    globalCap: null,
    slotTimeoutSec: 120,
    cooldownSec: 0,
    windows: w.windows,
    policy: { minHealthyFraction: null, minHealthyAbsolute: null, forbidIfOnlyFallbackLeft: false, fallbackNodes: [] },
    publishIntervalMs: 15_000,
    healthTimeoutMs: 30_000,
    countDownNodes: true,
    // The slot-lease lifetimes (the Go behaviour); fleetlock.test.ts sets 1 where it tests the freeze.
    maxFailedReboots: 0,
    serverName: "test-server",
    pid: 4242,
    ...rest,
  };
}

export interface TestServer {
  server: RunningServer;
  handler: FleetLockHandler;
  log: ReturnType<typeof memoryLogger>;
}

export function startTestServer(
  gw: EtcdGateway,
  keys: Keys,
  o: { settings?: BackendSettings; hooks?: FleetLockHooks; clock?: Clock } = {},
): TestServer {
  const log = memoryLogger();
  const backend = createEtcdBackend({ gw, keys, platform: { ...realPorts(), clock: o.clock ?? systemClock }, log, settings: o.settings ?? testSettings(), ...(o.hooks ? { hooks: o.hooks } : {}) });
  const handler = createFleetLockHandler({ backend, log });
  return { server: startFleetLockServer({ listen: "127.0.0.1:0", handler }), handler, log };
}

export interface CallResult {
  status: number;
  kind: string | undefined;
  value: string;
}

/** One raw FleetLock call as Zincati makes it: POST, the header, pretty JSON, no Content-Type. */
export async function call(baseUrl: string, op: "pre" | "steady", id: string, group: string): Promise<CallResult> {
  const res = await fetch(`${baseUrl}v1/${op === "pre" ? "pre-reboot" : "steady-state"}`, {
    method: "POST",
    headers: { "fleet-lock-protocol": "true" },
    body: new TextEncoder().encode(JSON.stringify({ client_params: { id, group } }, null, 2)),
  });
  const text = await res.text();
  if (res.status === 200) return { status: 200, kind: undefined, value: text };
  const body = JSON.parse(text) as { kind: string; value: string };
  return { status: res.status, kind: body.kind, value: body.value };
}

/** A lowercase-hex id like Zincati's app-specific machine id. */
export const hexId = (n: number) => n.toString(16).padStart(32, "0");
