/**
 * The shipped examples work: the Raspberry Pi k3s config (validated with real PEM files and
 * used against an mTLS etcd on 127.0.0.1), the cloud-init user-data and the first-boot script.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { loadConfigFile, parseConfigText } from "../../src/config/index.ts";
import { makeTlsMaterial, startEtcd, type TlsMaterial } from "../support/etcd.ts";
import { runHermetic } from "../support/hermetic.ts";
import { ensureBinary, REPO } from "./_binary.ts";
import { requireTool } from "../support/tools.ts";

const CONFIGS = join(REPO, "configs");
const K3S_TLS = "/var/lib/rancher/k3s/server/tls/etcd";

let dir = "";
let tls: TlsMaterial;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crd-configs-"));
  await mkdir(join(dir, "pki"));
  tls = await makeTlsMaterial(join(dir, "pki"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The k3s file paths replaced by this test's PEM files. */
const withTestPki = (text: string) =>
  text
    .replace(`${K3S_TLS}/server-ca.crt`, tls.caFile)
    .replace(`${K3S_TLS}/client.crt`, tls.clientCertFile)
    .replace(`${K3S_TLS}/client.key`, tls.clientKeyFile);

describe("configs/pi-k3s-node.yaml", () => {
  const file = join(CONFIGS, "pi-k3s-node.yaml");

  test("uses k3s's embedded etcd: loopback endpoint and k3s's TLS files", async () => {
    const doc = parse(await readFile(file, "utf8")) as { etcd_endpoints: string[]; etcd_tls: Record<string, unknown> };
    expect(doc.etcd_endpoints).toEqual(["https://127.0.0.1:2379"]);
    expect(doc.etcd_tls).toMatchObject({
      enabled: true,
      ca_file: `${K3S_TLS}/server-ca.crt`,
      cert_file: `${K3S_TLS}/client.crt`,
      key_file: `${K3S_TLS}/client.key`,
    });
  });

  test("is valid except for the TLS files this machine does not have", async () => {
    const res = await loadConfigFile(file);
    if (res.ok) return; // a k3s server: the files exist, nothing more to prove
    expect(res.problems).toHaveLength(3);
    for (const p of res.problems) expect(p).toMatch(/^etcd_tls\.(ca|cert|key)_file: cannot read \/var\/lib\/rancher\/k3s\/server\/tls\/etcd\//);
  });

  test("is valid with real PEM files in place", async () => {
    const res = await parseConfigText(withTestPki(await readFile(file, "utf8")));
    expect(res.ok ? [] : res.problems).toEqual([]);
  });

  test("connects over mutual TLS to an etcd on 127.0.0.1 (the compiled binary, node_modules hidden)", async () => {
    const bin = await ensureBinary("amd64");
    const etcd = await startEtcd({ tls });
    try {
      const port = new URL(etcd.endpoints[0]!).port;
      const cfg = join(dir, "pi.yaml");
      await writeFile(cfg, withTestPki(await readFile(file, "utf8")).replace("https://127.0.0.1:2379", `https://127.0.0.1:${port}`));
      const r = await runHermetic(bin, ["cluster", "--json", "--config", cfg]);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect((JSON.parse(r.stdout) as { namespace: string }).namespace).toBe("/clusterrebootd");
    } finally {
      await etcd.stop();
    }
  }, 60_000);
});

describe("configs/cloud-init.yaml", () => {
  interface CloudConfig {
    write_files: Array<{ path: string; permissions: string; content: string }>;
    runcmd: string[][];
  }
  const load = async () => {
    const text = await readFile(join(CONFIGS, "cloud-init.yaml"), "utf8");
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    return parse(text) as CloudConfig;
  };

  test("writes a config that validates once its TLS files exist", async () => {
    const cc = await load();
    const cfg = cc.write_files.find((f) => f.path === "/etc/clusterrebootd/config.yaml")!;
    expect(cfg.permissions).toBe("0640");
    // node_name is the machine's hostname, filled in by runcmd (one user-data, many machines).
    expect(cfg.content).toContain('node_name: "@HOSTNAME@"');
    const script = (await load()).runcmd[0]!.at(-1)!;
    expect(script).toContain("hostname -s");
    const text = cfg.content
      .replace('node_name: "@HOSTNAME@"', "node_name: node-7")
      .replace("/etc/clusterrebootd/etcd-ca.pem", tls.caFile)
      .replace("/etc/clusterrebootd/etcd-client.pem", tls.clientCertFile)
      .replace("/etc/clusterrebootd/etcd-client.key", tls.clientKeyFile);
    const res = await parseConfigText(text);
    expect(res.ok ? [] : res.problems).toEqual([]);
  });

  test("installs from a checksummed download, validates, then enables the daemon", async () => {
    const script = (await load()).runcmd[0]!.at(-1)!;
    const order = ["sha256sum -c", "install --service", "clusterrebootd validate-config", "systemctl enable --now clusterrebootd.service"];
    const at = order.map((s) => script.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  test("its shell snippets are valid POSIX sh", async () => {
    const cc = await load();
    const snippets = [cc.runcmd[0]!.at(-1)!, cc.write_files.find((f) => f.path.endsWith("clusterrebootd-health"))!.content];
    for (const s of snippets) {
      const r = Bun.spawnSync(["sh", "-n", "-c", s]);
      expect(r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
    }
  });
});

describe("configs/first-boot.sh", () => {
  const script = join(CONFIGS, "first-boot.sh");
  let bin = "";
  let config = "";

  beforeAll(async () => {
    bin = await ensureBinary("amd64");
    config = join(dir, "node.yaml");
    await writeFile(config, await readFile(join(REPO, "tests/fixtures/config/good-minimal.yaml")));
  }, 120_000);

  // Async: the download tests serve the files from this process.
  const firstBoot = async (env: Record<string, string>) => {
    const p = Bun.spawn(["sh", script], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 25_000 });
    const [exitCode, stdout, stderr] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { exitCode, stdout, stderr };
  };
  const files = async (root: string) =>
    (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();

  test("installs a local binary and the node's config below a root", async () => {
    const root = join(dir, "fb-local");
    const r = await firstBoot({ CRD_BINARY: bin, CRD_ROOT: root, CRD_CONFIG: config });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(await files(root)).toEqual([
      "etc/clusterrebootd/config.yaml",
      "etc/systemd/system/clusterrebootd.service",
      "etc/tmpfiles.d/clusterrebootd.conf",
      "usr/local/bin/clusterrebootd",
    ]);
    expect(await readFile(join(root, "etc/clusterrebootd/config.yaml"), "utf8")).toBe(await readFile(config, "utf8"));
  }, 30_000);

  test("a config whose node_name is \"@HOSTNAME@\" gets this machine's short hostname", async () => {
    const root = join(dir, "fb-hostname");
    const templ = join(dir, "templ.yaml");
    await writeFile(templ, (await readFile(config, "utf8")).replace(/^node_name: .*$/m, 'node_name: "@HOSTNAME@"'));
    const r = await firstBoot({ CRD_BINARY: bin, CRD_ROOT: root, CRD_CONFIG: templ });
    expect(r.exitCode).toBe(0);
    const host = Bun.spawnSync(["hostname", "-s"]).stdout.toString().trim();
    expect(await readFile(join(root, "etc/clusterrebootd/config.yaml"), "utf8")).toContain(`node_name: ${host}\n`);
  }, 30_000);

  test("never replaces an existing config, and timer mode writes the timer units", async () => {
    const root = join(dir, "fb-existing");
    await mkdir(join(root, "etc/clusterrebootd"), { recursive: true });
    await writeFile(join(root, "etc/clusterrebootd/config.yaml"), "node_name: already-here\n");
    const r = await firstBoot({ CRD_BINARY: bin, CRD_ROOT: root, CRD_CONFIG: config, CRD_MODE: "timer" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("keeping the existing");
    expect(await readFile(join(root, "etc/clusterrebootd/config.yaml"), "utf8")).toBe("node_name: already-here\n");
    expect(await files(join(root, "etc/systemd/system"))).toEqual(["clusterrebootd-pass.service", "clusterrebootd.timer"]);
  }, 30_000);

  describe("downloading", () => {
    const t = test;
    let server: ReturnType<typeof Bun.serve> | undefined;
    let sums = "";

    beforeAll(async () => {
      requireTool("curl", "curl");
      const digest = createHash("sha256").update(await readFile(bin)).digest("hex");
      sums = `${"0".repeat(64)}  clusterrebootd-linux-arm64\n${digest}  clusterrebootd-linux-amd64\n`;
      server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: (req) => {
          const path = new URL(req.url).pathname;
          if (path === "/v1/SHA256SUMS") return new Response(sums);
          if (path === "/v1/clusterrebootd-linux-amd64") return new Response(Bun.file(bin));
          return new Response("not found", { status: 404 });
        },
      });
    });

    afterAll(() => server?.stop(true));

    t("fetches the binary and SHA256SUMS, checks the sum, installs", async () => {
      const root = join(dir, "fb-download");
      const r = await firstBoot({ CRD_BASE_URL: `http://127.0.0.1:${server!.port}/v1`, CRD_ROOT: root });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(await Bun.file(join(root, "usr/local/bin/clusterrebootd")).size).toBe(Bun.file(bin).size);
    }, 30_000);

    t("refuses a binary whose checksum does not match, installing nothing", async () => {
      const root = join(dir, "fb-mismatch");
      const r = await firstBoot({ CRD_BASE_URL: `http://127.0.0.1:${server!.port}/v1`, CRD_ROOT: root, CRD_SHA256: "1".repeat(64) });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain("checksum mismatch");
      expect(await Bun.file(root).exists()).toBe(false);
      expect(await readdir(root).catch(() => "absent")).toBe("absent");
    }, 30_000);
  });
});

describe("shell scripts pass shellcheck", () => {
  const t = test;
  beforeAll(() => requireTool("shellcheck", "shellcheck"));
  const files = ["configs/first-boot.sh", "packaging/deb/postinst", "packaging/deb/prerm", "packaging/deb/postrm"];
  t.each(files)("%s", (f) => {
    const r = Bun.spawnSync(["shellcheck", "-s", "sh", join(REPO, f)]);
    expect(r.stdout.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  t("the RPM scriptlets", async () => {
    const spec = await readFile(join(REPO, "packaging/rpm/clusterrebootd.spec"), "utf8");
    const scriptlets = [...spec.matchAll(/^%(post|preun|postun)\n([\s\S]*?)(?=^%\w|(?![\s\S]))/gm)];
    expect(scriptlets.map((m) => m[1])).toEqual(["post", "preun", "postun"]);
    for (const [, name, body] of scriptlets) {
      const f = join(dir, `${name}.sh`);
      await writeFile(f, `#!/bin/sh\nset -- 1\n${body}`);
      const r = Bun.spawnSync(["shellcheck", "-s", "sh", f]);
      expect(r.stdout.toString()).toBe("");
    }
  });
});
