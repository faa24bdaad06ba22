/**
 * The composition root: a SIGHUP reload builds the runtime again, so a reloaded runtime equals a
 * freshly started one for every reloadable key — health checks and Kubernetes included (they
 * used to keep their start-up values while the log said they changed).
 */
import { beforeAll, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reloadConfig } from "../../../src/cli/_reload.ts";
import { configDir } from "./_config-dir.ts";
import { buildRuntime, type Resources } from "../../../src/cli/_runtime.ts";
import { planFromConfig } from "../../../src/cli/_setup.ts";
import { loadConfigFile, type ResolvedConfig } from "../../../src/config/index.ts";
import { resolved } from "../../support/plan.ts";
import { noopMetrics, silentLogger } from "../../../src/observe/index.ts";
import { newMemory, type Coordinator } from "../../../src/orchestrate/index.ts";
import { realPorts } from "../../../src/platform/index.ts";

const cd = configDir("runtime");
const res = (): Resources => ({ lock: { kind: "none" }, memory: newMemory(), log: silentLogger, metrics: noopMetrics });
const yaml = cd.yaml;
const cli = { ports: realPorts(), env: process.env };
const identity = { bootId: "boot-1", machineId: "0123456789abcdef0123456789abcdef" };
/** What `run` does at start and on every reload: the config's plan, then the runtime. */
const build = (cfg: ResolvedConfig, resources: Resources) => buildRuntime(cfg, planFromConfig(cfg, identity, cli.env, { dryRun: false }), resources, cli);

beforeAll(async () => {
  const dir = cd.dir;
  await writeFile(join(dir, "kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
});

async function load(extra: string): Promise<ResolvedConfig> {
  const dir = cd.dir;
  await writeFile(join(dir, "c.yaml"), yaml(extra.replaceAll("__DIR__", dir)));
  const r = await loadConfigFile(join(dir, "c.yaml"));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return resolved(r.config);
}

/** Everything a runtime decides with, as data. */
const snapshot = (co: Coordinator) => ({ mode: co.mode, plan: { ...co.plan, baseEnv: { ...co.plan.baseEnv } }, checks: co.checks.count, kube: { drains: co.kube.drains, node: co.kube.node } });

const CHANGES: [string, string][] = [
  ["check_interval_sec", "check_interval_sec: 17"],
  ["windows", "windows: {allow: ['Mon-Fri 01:00-05:00'], timezone: Europe/Berlin}"],
  ["reboot_command", "reboot_command: [/sbin/shutdown, -r, now]"],
  ["max_concurrent_reboots", "max_concurrent_reboots: 3"],
  ["health_checks", "health_checks: [{type: http, name: app, url: 'http://127.0.0.1:9/health'}]"],
  ["kubernetes", "kubernetes: {kubeconfig: __DIR__/kubeconfig, drain: {enabled: true}}"],
  ["min_reboot_interval_sec", "min_reboot_interval_sec: 120"],
];

test.each(CHANGES)("after a reload that changes %s, the runtime equals a fresh start with the new file", async (key, extra) => {
  const before = await load("");
  const resources = res();
  const old = await build(before, resources);
  const next = await load(extra);
  const r = await reloadConfig(join(cd.dir, "c.yaml"), before, process.env);
  if (r.kind !== "reloaded") throw new Error(`expected a reload, got ${r.kind}`);
  expect(r.changed).toContain(key);
  const reloaded = await build(r.config, resources);
  const fresh = await build(next, res());
  expect(snapshot(reloaded)).toEqual(snapshot(fresh));
  expect(snapshot(reloaded)).not.toEqual(snapshot(old));
  // Process-scoped resources carry over; nothing else does.
  expect(reloaded.memory).toBe(old.memory);
});

test("health checks and Kubernetes added by a reload take effect", async () => {
  const before = await build(await load(""), res());
  expect(before.checks.count).toBe(0);
  expect(before.kube.drains).toBe(false);
  const after = await build(
    await load(`health_checks: [{type: http, name: app, url: 'http://127.0.0.1:9/health'}]\nkubernetes: {kubeconfig: ${cd.dir}/kubeconfig, drain: {enabled: true}}`),
    res(),
  );
  expect(after.checks.count).toBe(1);
  expect(after.kube.drains).toBe(true);
  // The new check really runs (port 9 refuses): it blocks instead of being ignored.
  const rep = await after.checks.run("pre-lock");
  expect(rep?.kind).toBe("blocked");
});
