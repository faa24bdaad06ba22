import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "bun";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reloadConfig } from "../../../src/cli/_reload.ts";
import { configDir } from "./_config-dir.ts";
import { resolved } from "../../support/plan.ts";
import { loadConfigFile, type ResolvedConfig } from "../../../src/config/index.ts";

const cd = configDir("reload");
let dir: string;
let base: ResolvedConfig;
const yaml = cd.yaml;

beforeAll(async () => {
  dir = cd.dir;
  await writeFile(join(dir, "c.yaml"), yaml("check_interval_sec: 60"));
  const r = await loadConfigFile(join(dir, "c.yaml"));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  base = resolved(r.config);
});

describe("SIGHUP reload (W12)", () => {
  test("a valid change applies; keys that need a restart keep their old values and are named", async () => {
    await writeFile(join(dir, "c.yaml"), yaml("check_interval_sec: 30\ngroup: other"));
    const r = await reloadConfig(join(dir, "c.yaml"), base, process.env);
    expect(r.kind).toBe("reloaded");
    if (r.kind !== "reloaded") return;
    expect(r.changed.sort()).toEqual(["check_interval_sec", "group"]);
    expect(r.needRestart).toEqual(["group"]);
    expect(r.config.check_interval_sec).toBe(30);
    expect(r.config.group).toBe("default");
  });

  test("group_from_node_label: the group read at start stays; the same label is no change, another needs a restart", async () => {
    const kube = "kubernetes: {kubeconfig: /etc/rancher/k3s/k3s.yaml}\n";
    const zoned = (label: string) => yaml(`check_interval_sec: 60\n${kube}group: null\ngroup_from_node_label: ${label}`);
    await writeFile(join(dir, "z.yaml"), zoned("topology.kubernetes.io/zone"));
    const first = await loadConfigFile(join(dir, "z.yaml"));
    if (!first.ok) throw new Error(first.problems.join("\n"));
    const running: ResolvedConfig = { ...first.config, group: "zone-a" }; // as cli/_group.ts resolved it
    expect((await reloadConfig(join(dir, "z.yaml"), running, process.env)).kind).toBe("unchanged");
    await writeFile(join(dir, "z.yaml"), zoned("example.com/rack"));
    const r = await reloadConfig(join(dir, "z.yaml"), running, process.env);
    if (r.kind !== "reloaded") throw new Error(`expected a reload, got ${r.kind}`);
    expect(r.needRestart.sort()).toEqual(["group", "group_from_node_label"]);
    expect([r.config.group, r.config.group_from_node_label]).toEqual(["zone-a", "topology.kubernetes.io/zone"]);
  });

  test("an invalid file keeps the old config and lists every problem", async () => {
    await writeFile(join(dir, "c.yaml"), yaml("check_interval_sec: 0\nbogus: 1"));
    const r = await reloadConfig(join(dir, "c.yaml"), base, process.env);
    expect(r.kind).toBe("invalid");
    if (r.kind !== "invalid") return;
    expect(r.problems.join("\n")).toContain("check_interval_sec");
    expect(r.problems.join("\n")).toContain("bogus");
  });

  test("the same content is unchanged", async () => {
    await writeFile(join(dir, "c.yaml"), yaml("check_interval_sec: 60"));
    expect((await reloadConfig(join(dir, "c.yaml"), base, process.env)).kind).toBe("unchanged");
  });

  test("a FIFO in place of the config is refused at once; the old config stays (it used to wedge the daemon)", async () => {
    const fifo = join(dir, "fifo.yaml");
    expect(spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const started = Date.now();
    const r = await reloadConfig(fifo, base, process.env);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toEqual({ kind: "invalid", problems: [`config: cannot read ${fifo}: not a regular file (a FIFO, device, socket or directory); point it at a regular file`] });
  });

  test("as root, a config someone else can write is refused on reload too", async () => {
    expect(process.getuid?.()).toBe(0); // the suite runs as root; this test needs it
    const path = join(dir, "foreign.yaml");
    await writeFile(path, yaml("check_interval_sec: 30"));
    await chown(path, 65534, 65534);
    await chmod(path, 0o666);
    const r = await reloadConfig(path, base, process.env);
    expect(r.kind).toBe("invalid");
    if (r.kind === "invalid") expect(r.problems[0]).toContain(`fix: chown root:root ${path}; chmod go-w ${path}`);
  });
});
