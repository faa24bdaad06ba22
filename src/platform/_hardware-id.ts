/**
 * The hardware identity of this machine: what a disk clone does NOT copy. /etc/machine-id and the
 * state directory travel with a cloned SD card (rpi-clone, dd), so two machines can share both and
 * the node name; the board's own serial or UUID does not travel. docs/SLOTS.md §Identity lists
 * what each platform gives.
 *
 * Order: the override file (tests and the fleet simulator) → DMI product_uuid (x86; firmware
 * placeholders ignored) → the device-tree serial-number (Raspberry Pi and most arm64 boards) →
 * the MAC address of the default route's interface. None usable → undefined: identity then rests
 * on the machine id alone, as before.
 */
import type { HardwareId } from "./ports.ts";

export const HARDWARE_ID_FILE_ENV = "CLUSTERREBOOTD_HARDWARE_ID_FILE";

export const HARDWARE_ID_PATHS = {
  dmi: "/sys/class/dmi/id/product_uuid",
  deviceTree: ["/sys/firmware/devicetree/base/serial-number", "/proc/device-tree/serial-number"],
  routes: "/proc/net/route",
  netClass: "/sys/class/net",
} as const;

/** Reads a file's text, or undefined when it does not exist or cannot be read. */
export type ReadText = (path: string) => Promise<string | undefined>;

// Values firmware ships when the vendor never set one: shared by many machines, so no identity.
const DMI_PLACEHOLDERS = new Set([
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "03000200-0400-0500-0006-000700080009",
  "not settable",
  "not present",
  "default string",
]);

export async function readHardwareId(read: ReadText, overridePath?: string): Promise<HardwareId | undefined> {
  if (overridePath) {
    const v = clean(await read(overridePath));
    // An override that names a missing or empty file is a mistake in the test set-up: say so.
    if (!v) throw new Error(`${HARDWARE_ID_FILE_ENV}=${overridePath}: the file is missing or empty`);
    return { id: v, source: "file" };
  }
  const dmi = clean(await read(HARDWARE_ID_PATHS.dmi))?.toLowerCase();
  if (dmi && !DMI_PLACEHOLDERS.has(dmi)) return { id: `dmi:${dmi}`, source: "dmi" };
  for (const path of HARDWARE_ID_PATHS.deviceTree) {
    // The device tree stores strings NUL-terminated.
    const serial = clean((await read(path))?.replaceAll("\0", ""))?.toLowerCase();
    if (serial && !/^0+$/.test(serial)) return { id: `dt:${serial}`, source: "devicetree" };
  }
  const iface = defaultRouteInterface(await read(HARDWARE_ID_PATHS.routes));
  if (iface && /^[A-Za-z0-9._@-]{1,15}$/.test(iface)) {
    const mac = clean(await read(`${HARDWARE_ID_PATHS.netClass}/${iface}/address`))?.toLowerCase();
    if (mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) && mac !== "00:00:00:00:00:00") return { id: `mac:${mac}`, source: "mac" };
  }
  return undefined;
}

/** /proc/net/route: the interface of the first up route with destination 0.0.0.0 and mask 0. */
export function defaultRouteInterface(table: string | undefined): string | undefined {
  if (!table) return undefined;
  for (const line of table.split("\n").slice(1)) {
    const [iface, dest, , flags, , , , mask] = line.trim().split(/\s+/);
    if (!iface || dest !== "00000000" || mask !== "00000000") continue;
    if ((Number.parseInt(flags ?? "0", 16) & 0x1) === 0) continue; // RTF_UP
    return iface;
  }
  return undefined;
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t.slice(0, 128) : undefined;
};
