/**
 * Generates the man page clusterrebootd(8) and the bash completion from the command
 * definitions (scripts/_command-specs.ts), so neither can drift from `--help`.
 *
 *   bun scripts/gen-man.ts [--out DIR] [--version 1.2.3] [--date 2026-01-31]
 *
 * writes DIR/clusterrebootd.8 and DIR/clusterrebootd.bash-completion (default DIR: dist/doc).
 * The date defaults to SOURCE_DATE_EPOCH (reproducible packages), else today.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { RC_VARIABLE_NAMES } from "../src/config/index.ts";
import { EXIT_CODE } from "../src/orchestrate/outcome.ts";
import { bashCompletion } from "./_gen-completion.ts";
import { commandSpecs, type CommandSpec, type FlagSpec } from "./_command-specs.ts";

/** What each exit code means; every code in EXIT_CODE must be here (checked when generating). */
const EXIT_MEANINGS: Record<number, string> = {
  0: "success; also a pass that decided not to reboot now (no reboot needed, outside a window, cooldown)",
  1: "runtime error: etcd, a detector or the health script failed; an interrupted single pass",
  2: "configuration error (every problem is listed on standard error)",
  3: "health blocked: the health script or a cluster policy refused the reboot, or the reboot-loop guard",
  4: "no reboot slot available in the group (or the global cap is reached)",
  5: "kill switch file present, or reboots paused cluster-wide",
  6: "simulate: at least one detector failed",
  64: "usage error: unknown command or flag, missing value",
};

export interface ManInfo {
  version: string;
  /** YYYY-MM-DD */
  date: string;
}

export function manPage(specs: readonly CommandSpec[], info: ManInfo): string {
  const codes = [...new Set(Object.values(EXIT_CODE))].sort((a, b) => a - b);
  const missing = codes.filter((c) => EXIT_MEANINGS[c] === undefined);
  if (missing.length > 0) throw new Error(`gen-man: no meaning for exit code(s) ${missing.join(", ")}; add them to EXIT_MEANINGS`);
  const out: string[] = [
    `.TH CLUSTERREBOOTD 8 "${info.date}" "clusterrebootd ${esc(info.version)}" "System Administration"`,
    // No hyphenation: the page is full of flags, paths and variable names.
    ".nh",
    ".SH NAME",
    "clusterrebootd \\- cluster reboot coordinator",
    ".SH SYNOPSIS",
    ".B clusterrebootd",
    ".I command",
    ".RI [ flags ]",
    ".br",
    ".B clusterrebootd",
    ".RB [ \\-\\-help | \\-\\-version ]",
    ".SH DESCRIPTION",
    ...para(
      "clusterrebootd decides, on every node of a cluster, whether that node may reboot now. Detectors say whether a reboot is needed; " +
        "the health script and the health records of the other nodes say whether the node and the cluster can afford it; maintenance " +
        "windows and a cooldown say when. Before rebooting the node takes one of a limited number of reboot slots of its group in etcd, " +
        "so that at most that many nodes of a group are down at once, and after the reboot it releases the slot once healthy again.",
    ),
    ...para(
      "It runs either as a daemon (clusterrebootd.service, \\fBrun\\fR) or one pass at a time from a systemd timer " +
        "(clusterrebootd.timer, \\fBrun \\-\\-timer\\fR). Enable one of the two. Packages and \\fBinstall\\fR never enable or start either.",
    ),
    ".SH COMMANDS",
    ...specs.flatMap(commandSection),
    ".SH EXIT STATUS",
    ...codes.flatMap((c) => [".TP", `.B ${c}`, esc(EXIT_MEANINGS[c]!)]),
    ".SH SIGNALS",
    ".TP",
    ".B SIGHUP",
    esc("run: re-read and validate the configuration; an invalid one is logged and the running one kept."),
    ".TP",
    ".B SIGTERM, SIGINT",
    esc("run: stop within 10 seconds and exit 0. A reboot slot already in use for a reboot is kept until the node is back."),
    ".SH HEALTH SCRIPT ENVIRONMENT",
    ...para(`The health script runs without a shell and receives: ${RC_VARIABLE_NAMES.join(", ")}.`),
    ".SH FILES",
    ...files([
      ["/etc/clusterrebootd/config.yaml", "configuration (validate with \\fBvalidate\\-config\\fR; never overwritten by upgrades)"],
      ["/etc/clusterrebootd/disable", "default kill switch: while it exists the node does not reboot and the units do not start"],
      ["/etc/clusterrebootd/config.d/", "reserved for configuration drop-ins (not read yet)"],
      ["/usr/lib/systemd/system/clusterrebootd.service", "daemon mode (packages; \\fBinstall\\fR writes to /etc/systemd/system)"],
      ["/usr/lib/systemd/system/clusterrebootd.timer", "timer mode, with clusterrebootd\\-pass.service"],
      ["/run/clusterrebootd/", "runtime directory"],
      ["/usr/share/doc/clusterrebootd/examples/", "annotated example configuration, cloud-init and first-boot examples"],
    ]),
    ".SH SEE ALSO",
    ".BR systemctl (1),",
    ".BR systemd.timer (5),",
    ".BR journalctl (1),",
    ".BR etcdctl (1)",
  ];
  return out.join("\n") + "\n";
}

// --- internal ---

function commandSection(spec: CommandSpec): string[] {
  const synopsis = [
    `\\fBclusterrebootd ${esc(spec.name)}\\fR`,
    ...spec.flags.map((f) => (f.type === "boolean" ? `[\\fB${esc(f.flag)}\\fR]` : `[\\fB${esc(f.flag)}\\fR \\fI${esc(f.valueHint)}\\fR]`)),
    ...spec.positionals.map((p) => (p.required ? `\\fI${esc(p.name)}\\fR` : `[\\fI${esc(p.name)}\\fR]`)),
  ].join(" ");
  return [
    `.SS ${esc(spec.name)}`,
    synopsis,
    ".PP",
    esc(sentence(spec.description)),
    ...spec.positionals.flatMap((p) => [".TP", `.I ${esc(p.name)}`, esc(sentence(p.description))]),
    ...spec.flags.flatMap(flagItem),
  ];
}

function flagItem(f: FlagSpec): string[] {
  const names = [f.flag, ...f.aliases].map((n) => `\\fB${esc(n)}\\fR`).join(", ");
  const head = f.type === "boolean" ? names : `${names} \\fI${esc(f.valueHint)}\\fR`;
  const dflt = f.type !== "boolean" && typeof f.default === "string" && f.default !== "" ? ` Default: ${f.default}.` : "";
  return [".TP", head, esc(sentence(f.description) + dflt)];
}

function files(entries: Array<[string, string]>): string[] {
  return entries.flatMap(([path, what]) => [".TP", `.I ${esc(path)}`, what]);
}

function para(text: string): string[] {
  return [".PP", text];
}

function sentence(s: string): string {
  const t = s.trim();
  return t === "" ? t : `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
}

/** roff-escape text: backslashes, minus signs (so flags copy-paste correctly), control lines. */
export function esc(s: string): string {
  return s
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .replace(/^([.'])/gm, "\\&$1");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { out: { type: "string", default: "dist/doc" }, version: { type: "string" }, date: { type: "string" } },
    strict: true,
  });
  const root = resolve(import.meta.dir, "..");
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
  const epoch = process.env["SOURCE_DATE_EPOCH"];
  const date = values.date ?? new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 10);
  const specs = await commandSpecs();
  const out = resolve(values.out);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "clusterrebootd.8"), manPage(specs, { version: values.version ?? pkg.version, date }));
  await writeFile(join(out, "clusterrebootd.bash-completion"), bashCompletion(specs));
  console.log(`wrote ${join(out, "clusterrebootd.8")} and ${join(out, "clusterrebootd.bash-completion")}`);
}

if (import.meta.main) await main();
