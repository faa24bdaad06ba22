/**
 * A temp dir with a root-owned 0755 health script, and the smallest config text around it, for
 * the config-reloading tests of cli/. Call at the top level of a test file.
 */
import { afterAll, beforeAll } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function configDir(name: string) {
  const state = { dir: "" };
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), `crd-${name}-`));
    await writeFile(join(state.dir, "health.sh"), "#!/bin/sh\nexit 0\n");
    await chmod(join(state.dir, "health.sh"), 0o755);
  });
  afterAll(() => rm(state.dir, { recursive: true, force: true }));
  return {
    get dir() {
      return state.dir;
    },
    /** The smallest valid config, plus `extra` lines. */
    yaml: (extra: string) => `node_name: n1
reboot_required_detectors: [{type: file, path: /run/reboot-required}]
health_script: ${state.dir}/health.sh
etcd_endpoints: [127.0.0.1:2379]
${extra}`,
  };
}
