/**
 * The arm64 VM (the Raspberry Pi binary on an arm64 kernel): the arm64 .deb installed with apt in
 * a qemu-system-aarch64 guest (`-M virt -cpu cortex-a72`, TCG), validate-config, status
 * --skip-lock, and one real reboot with the post-boot release against the host's etcd.
 *
 * Not a *.test.ts file on purpose: `bun test` over tests/ (npm test) does not pick it up, because
 * a cold arm64 image costs minutes more. Run it with `npm run test:vm -- --arch arm64`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { artifacts } from "../packaging/_artifacts.ts";
import { history, journal, named, ups, waitRebooted } from "./_checks.ts";
import { nodeConfig, progress, startFleet, type Fleet } from "./_fleet.ts";
import { ensureImage } from "./_image.ts";
import { installDeb } from "./_install.ts";
import { render } from "./_ledger.ts";
import type { Vm } from "./_vm.ts";

const MIN = 60_000;
const log = progress();
let fleet: Fleet;
let pi: Vm;

beforeAll(async () => {
  const image = await ensureImage("arm64", log);
  const a = await artifacts();
  fleet = await startFleet(image, [join(a.dist, "clusterrebootd-linux-arm64")], log);
  pi = fleet.addVm({ name: "pi1" });
  const t = performance.now();
  await pi.start();
  await pi.waitSsh(6 * MIN);
  log(`pi1: answers ssh after ${((performance.now() - t) / 1000).toFixed(0)} s`);
}, 30 * MIN);

afterAll(async () => {
  await fleet?.stop();
}, MIN);

describe("VM tier, arm64", () => {
  test("the arm64 .deb installs, validates its config and reports status on an arm64 kernel", async () => {
    const a = await artifacts();
    expect((await pi.sshOk("uname -m")).trim()).toBe("aarch64");
    await installDeb(pi, a.deb.arm64, nodeConfig("pi1"));
    log("pi1: arm64 .deb installed, clusterrebootd.service enabled");
    expect(await pi.sshOk("clusterrebootd version")).toContain("arm64");
    expect((await pi.sshOk("systemctl is-active clusterrebootd.service")).trim()).toBe("active");
    expect((await pi.ssh("clusterrebootd status --skip-lock")).code).toBe(0);
  }, 10 * MIN);

  test("one real reboot; the slot is released after boot", async () => {
    const before = await pi.bootId();
    const since = Date.now();
    await pi.sshOk("touch /var/run/reboot-required");
    log("pi1: /var/run/reboot-required");
    await waitRebooted(fleet, [pi], since, 10 * MIN);
    log(`pi1: rebooted\n${render(fleet.ledger.filter((e) => e.at >= since))}`);
    expect(ups(fleet.ledger, "pi1", since)[0]!.bootId).not.toBe(before);
    expect(await pi.bootId()).not.toBe(before);
    const entries = (await history(pi)).filter((e) => e.node === "pi1");
    expect(entries.map((e) => e.outcome)).toEqual(["rebooted"]);
    const j = await journal(pi, "clusterrebootd.service");
    expect(named(j.events, "slot_released").filter((e) => e.fields?.["reason"] === "post_boot_healthy")).toHaveLength(1);
  }, 12 * MIN);
});
