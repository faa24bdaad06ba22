/** The hardware identity: what each platform gives, in order, and what is no identity at all. */
import { describe, expect, test } from "bun:test";
import { defaultRouteInterface, HARDWARE_ID_PATHS, readHardwareId } from "../../../src/platform/_hardware-id.ts";

const ROUTES = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

/** A file system of a few paths; everything else is missing. */
const files = (m: Record<string, string>) => async (path: string) => m[path];

describe("readHardwareId", () => {
  test("x86: the DMI product_uuid, lower-cased", async () => {
    const id = await readHardwareId(files({ [HARDWARE_ID_PATHS.dmi]: "4C4C4544-0042-3510-8052-B4C04F4D4B32\n", [HARDWARE_ID_PATHS.routes]: ROUTES, "/sys/class/net/eth0/address": "dc:a6:32:01:02:03\n" }));
    expect(id).toEqual({ id: "dmi:4c4c4544-0042-3510-8052-b4c04f4d4b32", source: "dmi" });
  });

  test("firmware placeholders are no identity: the next source is used", async () => {
    for (const junk of ["00000000-0000-0000-0000-000000000000", "03000200-0400-0500-0006-000700080009", "Not Settable", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"]) {
      const id = await readHardwareId(files({ [HARDWARE_ID_PATHS.dmi]: junk, [HARDWARE_ID_PATHS.routes]: ROUTES, "/sys/class/net/eth0/address": "52:54:00:12:34:56" }));
      expect(id).toEqual({ id: "mac:52:54:00:12:34:56", source: "mac" });
    }
  });

  test("Raspberry Pi: the device-tree serial (NUL-terminated), either path", async () => {
    const [sys, proc] = HARDWARE_ID_PATHS.deviceTree;
    expect(await readHardwareId(files({ [sys]: "10000000a1b2c3d4\0" }))).toEqual({ id: "dt:10000000a1b2c3d4", source: "devicetree" });
    expect(await readHardwareId(files({ [proc]: "00000000e5f6a7b8\0" }))).toEqual({ id: "dt:00000000e5f6a7b8", source: "devicetree" });
    // An all-zero serial (some boards and emulators) is no identity.
    expect(await readHardwareId(files({ [sys]: "0000000000000000\0" }))).toBeUndefined();
  });

  test("else the MAC of the default route's interface, never a zero MAC or a route that is down", async () => {
    expect(await readHardwareId(files({ [HARDWARE_ID_PATHS.routes]: ROUTES, "/sys/class/net/eth0/address": "00:00:00:00:00:00" }))).toBeUndefined();
    expect(await readHardwareId(files({ [HARDWARE_ID_PATHS.routes]: ROUTES.replace("0003", "0002"), "/sys/class/net/eth0/address": "dc:a6:32:01:02:03" }))).toBeUndefined();
    expect(await readHardwareId(files({}))).toBeUndefined();
  });

  test("the override file (tests, the simulator) wins; a missing one is an error, not a silent fallback", async () => {
    expect(await readHardwareId(files({ "/t/hw": "board-7\n", [HARDWARE_ID_PATHS.dmi]: "4c4c4544-0042-3510-8052-b4c04f4d4b32" }), "/t/hw")).toEqual({ id: "board-7", source: "file" });
    const err = await readHardwareId(files({}), "/t/missing").catch((e: unknown) => e);
    expect(String(err)).toContain("CLUSTERREBOOTD_HARDWARE_ID_FILE=/t/missing");
  });
});

test("defaultRouteInterface picks the up route to 0.0.0.0/0", () => {
  expect(defaultRouteInterface(ROUTES)).toBe("eth0");
  expect(defaultRouteInterface(ROUTES.split("\n").filter((l) => !l.includes("\t00000000\t0102")).join("\n"))).toBeUndefined();
  expect(defaultRouteInterface(undefined)).toBeUndefined();
});
