/**
 * Interactive sessions from utmp (what `who` reads). glibc's `struct utmp` is 384 bytes on both
 * x86_64 and aarch64: ut_type (short) at 0, ut_pid (int) at 4, ut_line[32] at 8, ut_user[32] at 44.
 * Only USER_PROCESS entries whose process still exists count (utmp may keep stale records).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

export const UTMP_PATHS = ["/run/utmp", "/var/run/utmp"];
const RECORD = 384;
const USER_PROCESS = 7;

export function parseUtmp(buf: Uint8Array, alive: (pid: number) => boolean): string[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const users: string[] = [];
  for (let off = 0; off + RECORD <= buf.byteLength; off += RECORD) {
    if (view.getInt16(off, true) !== USER_PROCESS) continue;
    const pid = view.getInt32(off + 4, true);
    if (!alive(pid)) continue;
    const line = cstr(buf.subarray(off + 8, off + 40));
    const user = cstr(buf.subarray(off + 44, off + 76));
    if (user) users.push(`${user}@${line || "?"}`);
  }
  return users;
}

export async function loggedInUsers(paths = UTMP_PATHS): Promise<string[]> {
  for (const p of paths) {
    try {
      return parseUtmp(new Uint8Array(await readFile(p)), (pid) => pid > 0 && existsSync(`/proc/${pid}`));
    } catch {
      // try the next path; no utmp at all means no interactive users we can see
    }
  }
  return [];
}

function cstr(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? b.subarray(0, end) : b);
}
