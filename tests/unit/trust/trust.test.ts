/**
 * The one ownership check (src/trust) on a fake tree: the file, every directory on the way,
 * every symlink passed; bare command names through PATH; nothing at all when not root.
 */
import { describe, expect, test } from "bun:test";
import { trustProblems, type TrustTarget } from "../../../src/trust/index.ts";
import { dirs, fakeTrust, type FakeNode } from "../../fakes/trust.ts";

const NOBODY = 65534;
const exe = (path: string, field = "health_script"): TrustTarget => ({ field, path, use: "executable" });
const cmd = (path: string, field = "reboot_required_detectors[0].cmd[0]"): TrustTarget => ({ field, path, use: "command" });
const check = (tree: Record<string, FakeNode>, t: TrustTarget, opts?: { root?: boolean; path?: string }) => trustProblems([t], fakeTrust(tree, opts));

describe("files and their directories", () => {
  test("a root-owned 0755 script in root-owned 0755 directories is fine", async () => {
    expect(await check({ ...dirs("/usr", "/usr/local", "/usr/local/bin"), "/usr/local/bin/h": { type: "file" } }, exe("/usr/local/bin/h"))).toEqual([]);
  });

  test("a script owned by nobody, mode 0777: one line with both fixes", async () => {
    const p = await check({ ...dirs("/opt"), "/opt/h": { type: "file", uid: NOBODY, mode: 0o100777 } }, exe("/opt/h"));
    expect(p).toEqual([
      "health_script: refusing /opt/h as root: it is owned by uid 65534, not root and is world-writable (mode 0777), so others could change what root runs; fix: chown root:root /opt/h; chmod go-w /opt/h",
    ]);
  });

  test("a group-writable file is refused", async () => {
    const p = await check({ ...dirs("/etc"), "/etc/c.yaml": { type: "file", mode: 0o100664 } }, { field: "config", path: "/etc/c.yaml", use: "file" });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("is group-writable (mode 0664), so others could change what root reads; fix: chmod go-w /etc/c.yaml");
  });

  test("a root-owned 0755 script in a 0777 directory is refused, naming the directory", async () => {
    const p = await check({ "/srv": { type: "dir", mode: 0o40777 }, "/srv/h": { type: "file" } }, exe("/srv/h"));
    expect(p).toEqual([
      "health_script: refusing /srv/h as root: /srv is a world-writable directory (mode 0777): anyone in it can swap the files below, so others could change what root runs; fix: chmod go-w /srv",
    ]);
  });

  test("a directory owned by someone else, even 0755, is refused", async () => {
    const p = await check({ "/home": { type: "dir" }, "/home/u": { type: "dir", uid: 1000 }, "/home/u/h": { type: "file" } }, exe("/home/u/h"));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("/home/u is a directory owned by uid 1000, not root");
    expect(p[0]).toContain("fix: chown root:root /home/u");
  });

  test("every problem on the way is listed, not just the first", async () => {
    const tree: Record<string, FakeNode> = {
      "/a": { type: "dir", mode: 0o40777 },
      "/a/b": { type: "dir", uid: NOBODY },
      "/a/b/h": { type: "file", uid: NOBODY },
    };
    const p = await check(tree, exe("/a/b/h"));
    expect(p.map((l) => l.split(" as root: ")[1]!.split(" ")[0])).toEqual(["/a", "/a/b", "it"]);
  });

  test("a sticky root-owned world-writable directory (/tmp) is fine when the entry below is root's", async () => {
    const tree: Record<string, FakeNode> = { "/tmp": { type: "dir", mode: 0o41777 }, "/tmp/d": { type: "dir", mode: 0o40700 }, "/tmp/d/h": { type: "file" } };
    expect(await check(tree, exe("/tmp/d/h"))).toEqual([]);
  });

  test("…but not when the entry below it belongs to someone else", async () => {
    const tree: Record<string, FakeNode> = { "/tmp": { type: "dir", mode: 0o41777 }, "/tmp/h": { type: "file", uid: NOBODY } };
    expect((await check(tree, exe("/tmp/h")))[0]).toContain("it is owned by uid 65534");
  });

  test("a sticky world-writable directory owned by someone else is refused", async () => {
    const tree: Record<string, FakeNode> = { "/x": { type: "dir", uid: NOBODY, mode: 0o41777 }, "/x/h": { type: "file" } };
    expect((await check(tree, exe("/x/h")))[0]).toContain("/x is a directory owned by uid 65534, not root and is a world-writable directory");
  });

  test("a missing file is not a trust problem (the loader reports it), but an unsafe directory above it is", async () => {
    expect(await check(dirs("/opt"), exe("/opt/none"))).toEqual([]);
    expect(await check({ "/opt": { type: "dir", mode: 0o40777 } }, exe("/opt/none"))).toHaveLength(1);
  });

  test("a component that cannot be inspected fails closed", async () => {
    const p = await check({ "/opt": { type: "error", message: "EACCES: permission denied" } }, exe("/opt/h"));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("cannot be checked (EACCES: permission denied)");
  });

  test("a directory where a file belongs is judged on ownership (its type is the reader's concern)", async () => {
    expect(await check({ ...dirs("/opt", "/opt/h") }, exe("/opt/h"))).toEqual([]);
    expect((await check({ ...dirs("/opt"), "/opt/h": { type: "dir", uid: NOBODY } }, exe("/opt/h")))[0]).toContain("it is owned by uid 65534");
  });
});

describe("symlinks are resolved by hand and judged on the way", () => {
  test("a root-owned symlink to a root-owned script in safe directories is fine", async () => {
    const tree: Record<string, FakeNode> = { ...dirs("/usr", "/usr/bin", "/opt"), "/usr/bin/h": { type: "symlink", target: "../../opt/h" }, "/opt/h": { type: "file" } };
    expect(await check(tree, exe("/usr/bin/h"))).toEqual([]);
  });

  test("a symlink owned by someone else is refused", async () => {
    const tree: Record<string, FakeNode> = { ...dirs("/opt", "/srv"), "/opt/h": { type: "symlink", uid: NOBODY, target: "/srv/h" }, "/srv/h": { type: "file" } };
    const p = await check(tree, exe("/opt/h"));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("refusing /opt/h as root: it is a symlink owned by uid 65534, not root, so others could change what root runs; fix: chown -h root:root /opt/h");
  });

  test("the swap: a root script reached through a symlink into a 0777 directory is refused", async () => {
    // What `stat` would call safe: the target is root's 0755 file. The directory holding it is not.
    const tree: Record<string, FakeNode> = {
      ...dirs("/etc"),
      "/etc/h": { type: "symlink", target: "/drop/h" },
      "/drop": { type: "dir", mode: 0o40777 },
      "/drop/h": { type: "file" },
    };
    const p = await check(tree, exe("/etc/h"));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("/drop is a world-writable directory");
  });

  test("a symlinked parent directory is followed and the real directories are judged", async () => {
    const tree: Record<string, FakeNode> = {
      "/bin": { type: "symlink", target: "usr/bin" },
      "/usr": { type: "dir" },
      "/usr/bin": { type: "dir", uid: 1000 },
      "/usr/bin/true": { type: "file" },
    };
    expect((await check(tree, exe("/bin/true")))[0]).toContain("/usr/bin is a directory owned by uid 1000");
  });

  test("a symlink loop fails closed", async () => {
    const tree: Record<string, FakeNode> = { ...dirs("/l"), "/l/a": { type: "symlink", target: "/l/b" }, "/l/b": { type: "symlink", target: "/l/a" } };
    expect((await check(tree, exe("/l/a")))[0]).toContain("too many levels of symlinks");
  });
});

describe("commands (argv[0])", () => {
  const usrBin = { ...dirs("/usr", "/usr/bin"), "/usr/bin/needs-restarting": { type: "file" as const } };

  test("a bare name is found through PATH and judged", async () => {
    expect(await check(usrBin, cmd("needs-restarting"))).toEqual([]);
    const bad = { ...usrBin, "/usr/bin/needs-restarting": { type: "file" as const, uid: NOBODY } };
    expect((await check(bad, cmd("needs-restarting")))[0]).toContain("/usr/bin/needs-restarting is owned by uid 65534");
  });

  test("a writable PATH directory searched before the hit could shadow it: refused", async () => {
    const tree = { ...usrBin, ...dirs("/home"), "/home/u": { type: "dir" as const, uid: 1000 }, "/home/u/bin": { type: "dir" as const, uid: 1000 } };
    const p = await check(tree, cmd("needs-restarting"), { path: "/home/u/bin:/usr/bin" });
    expect(p.some((l) => l.includes("/home/u is a directory owned by uid 1000"))).toBe(true);
    // Directories after the hit are never searched.
    expect(await check(tree, cmd("needs-restarting"), { path: "/usr/bin:/home/u/bin" })).toEqual([]);
  });

  test("a relative PATH entry is refused", async () => {
    expect((await check(usrBin, cmd("needs-restarting"), { path: ".:/usr/bin" }))[0]).toContain(". is a relative PATH entry");
  });

  test("a relative argv[0] with a slash is refused", async () => {
    expect((await check(usrBin, cmd("bin/x")))[0]).toContain(`"bin/x" is a relative path`);
  });

  test("an absolute argv[0] is judged like any path", async () => {
    const tree = { ...dirs("/opt"), "/opt/reboot": { type: "file" as const, uid: NOBODY, mode: 0o100777 } };
    expect(await check(tree, cmd("/opt/reboot", "reboot_command[0]"))).toEqual([
      "reboot_command[0]: refusing /opt/reboot as root: it is owned by uid 65534, not root and is world-writable (mode 0777), so others could change what root runs; fix: chown root:root /opt/reboot; chmod go-w /opt/reboot",
    ]);
  });
});

test("not root: nothing is reported, whatever the tree", async () => {
  const tree: Record<string, FakeNode> = { "/srv": { type: "dir", uid: NOBODY, mode: 0o40777 }, "/srv/h": { type: "file", uid: NOBODY, mode: 0o100777 } };
  expect(await check(tree, exe("/srv/h"), { root: false })).toEqual([]);
  expect(await check(tree, exe("/srv/h"), { root: true })).toHaveLength(2);
});
