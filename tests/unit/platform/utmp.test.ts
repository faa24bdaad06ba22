import { expect, test } from "bun:test";
import { parseUtmp } from "../../../src/platform/_utmp.ts";

function record(type: number, pid: number, line: string, user: string): Uint8Array {
  const b = new Uint8Array(384);
  const v = new DataView(b.buffer);
  v.setInt16(0, type, true);
  v.setInt32(4, pid, true);
  b.set(new TextEncoder().encode(line), 8);
  b.set(new TextEncoder().encode(user), 44);
  return b;
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), (off += p.length));
  return out;
};

test("utmp: only live USER_PROCESS entries count", () => {
  const buf = concat(
    record(2, 1, "~", "reboot"), // BOOT_TIME
    record(7, 100, "pts/0", "alice"),
    record(7, 200, "pts/1", "bob"), // stale: pid gone
    record(8, 300, "pts/2", "carol"), // DEAD_PROCESS
    new Uint8Array(100), // a truncated trailing record is ignored
  );
  expect(parseUtmp(buf, (pid) => pid !== 200)).toEqual(["alice@pts/0"]);
});
