import type { Fs, Host } from "../platform/index.ts";
import { realTrustDeps, trustProblems, type TrustDeps } from "../trust/index.ts";

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const ANY_EXEC = 0o111;

/**
 * Refuse scripts that would let someone else run code as us. As root the script must be a regular
 * executable file owned by root and writable by nobody else; otherwise anyone who can write it
 * gets root on every node at the next health check. As non-root we only check that it can run.
 * Returns null when the script is acceptable, else a message naming the path and the fix.
 * As root the directories on the way and any symlink are checked too (src/trust): a root-owned
 * script in a world-writable directory can be swapped for anyone's. This runs before every run,
 * besides the loader's check at start and reload, because the file system changes in between.
 * (Async because Fs.stat is; the brief's synchronous signature cannot call the Fs port.)
 */
export async function checkScriptSafety(path: string, fs: Fs, host: Host, trust: TrustDeps = realTrustDeps): Promise<string | null> {
  const st = await fs.stat(path);
  if (st.kind === "missing") return `health script ${path} does not exist; create it or fix health_script in the config`;
  if (st.kind === "error") return `health script ${path} cannot be inspected: ${st.message}`;
  if (!st.isFile) return `health script ${path} is not a regular file; point health_script at an executable file`;
  const mode = st.mode & 0o7777;
  const octal = mode.toString(8).padStart(4, "0");
  if ((mode & ANY_EXEC) === 0) return `health script ${path} is not executable (mode ${octal}); run: chmod 0755 ${path}`;
  const uid = host.uid();
  if (uid !== 0) return null;
  if (st.uid !== 0 && st.uid !== uid) {
    return `refusing to run health script ${path} as root: it is owned by uid ${st.uid}, not root; run: chown root ${path}`;
  }
  if (mode & (S_IWOTH | S_IWGRP)) {
    const who = mode & S_IWOTH ? "world-writable" : "group-writable";
    return `refusing to run health script ${path} as root: it is ${who} (mode ${octal}); run: chmod go-w ${path}`;
  }
  const onTheWay = await trustProblems([{ field: "health_script", path, use: "executable" }], { ...trust, isRoot: () => true });
  return onTheWay.length > 0 ? onTheWay.join("; ") : null;
}
