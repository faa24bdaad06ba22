import { afterEach, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { BOOT_ID_FILE_ENV, createHost, realPorts } from "../../../src/platform/index.ts";
import { Scratch } from "./_helpers.ts";

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

describe("host", () => {
  test("reads the kernel boot id by default", async () => {
    expect(await createHost({}).bootId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test(`reads the boot id from ${BOOT_ID_FILE_ENV} and notices a change without restart`, async () => {
    const file = join(await scratch.dir(), "boot_id");
    await writeFile(file, "sim-boot-1\n");
    const host = createHost({ [BOOT_ID_FILE_ENV]: file });
    expect(await host.bootId()).toBe("sim-boot-1");
    await writeFile(file, "sim-boot-2\n");
    expect(await host.bootId()).toBe("sim-boot-2");
  });

  test("reports hostname, pid and effective uid of this process", () => {
    const host = createHost({});
    expect(host.hostname()).toBe(hostname());
    expect(host.pid()).toBe(process.pid);
    expect(host.uid()).toBe(process.geteuid!());
  });

  test("realPorts wires all four ports", () => {
    const ports = realPorts({});
    expect(typeof ports.clock.now()).toBe("number");
    expect(Object.keys(ports).sort()).toEqual(["clock", "fs", "host", "runner"]);
  });
});
