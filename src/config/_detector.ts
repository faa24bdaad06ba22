/**
 * Detector entries (`reboot_required_detectors[i]`): Go's keys and default names
 * (docs/WEAKNESSES.md §Compatibility: config keys), with W8's default timeout, and names checked
 * for uniqueness at load time.
 */
import * as v from "valibot";
import { closedObject, fallbackMessage, mapping, pathTo, uniqueNames } from "./_issues.ts";
import { describeValue, expected, list, MAX_TIMER_SEC, problemCheck, str } from "./_fields.ts";

/** W8: a hung `needs-restarting` must not stall the coordinator forever. */
const DEFAULT_DETECTOR_TIMEOUT_SEC = 30;

const detectorTimeout = v.nullish(
  v.pipe(
    v.number(expected("an integer")),
    v.integer((i) => `must be an integer, got ${describeValue(i.input)}`),
    problemCheck((n: number) =>
      n === 0
        ? `must be > 0, got 0: in the Go daemon 0 meant "no timeout", which lets a hung command stall ` +
          `the coordinator; omit timeout_sec for the ${DEFAULT_DETECTOR_TIMEOUT_SEC} s default`
        : n < 0
          ? `must be > 0, got ${n}`
          : n > MAX_TIMER_SEC
            ? `must be ≤ ${MAX_TIMER_SEC} s (about 24.8 days, the longest a timer can wait), got ${n}`
            : null,
    ),
  ),
  DEFAULT_DETECTOR_TIMEOUT_SEC,
);

const exitCode = v.pipe(
  v.number(expected("an integer exit code")),
  v.integer((i) => `must be an integer exit code, got ${describeValue(i.input)}`),
  problemCheck((n: number) => (n >= 0 && n <= 255 ? null : `must be an exit code 0–255, got ${n}`)),
);

const name = str(null);
/** Blank: refused below; a pipe on nullish keeps the default, so an absent key is checked too. */
const path = v.pipe(v.nullish(v.string(expected("a string")), ""), v.check((p: string) => p.trim() !== "", "is required for a file detector (e.g. /var/run/reboot-required)"));
const cmd = list(v.string(expected("a string")), []);
/** Empty: any non-zero exit means "reboot required"; else exit code in the list does. */
const successExitCodes = list(exitCode, []);

/**
 * Go read every key on every detector and ignored the other type's, so configs carry them: each
 * type still takes and checks them (the output keeps Go's full shape).
 */
const FileDetector = v.pipe(
  closedObject({ name, type: v.literal("file"), path, cmd, success_exit_codes: successExitCodes, timeout_sec: detectorTimeout }),
  v.transform((d) => ({ ...d, name: detectorName(d) })),
);

const CommandDetector = v.pipe(
  closedObject({ name, type: v.literal("command"), path: str(""), cmd, success_exit_codes: successExitCodes, timeout_sec: detectorTimeout }),
  v.forward(
    v.partialCheck([["cmd"]], (d) => d.cmd.length > 0, "is required for a command detector: the argv to run, e.g. [/usr/sbin/needs-restarting, -r]"),
    ["cmd"],
  ),
  v.forward(v.partialCheck([["cmd"]], (d) => (d.cmd[0] ?? "x").trim() !== "", "must name the program to run, got a blank string"), ["cmd", 0]),
  v.transform((d) => ({ ...d, name: detectorName(d) })),
);

/** One `reboot_required_detectors[i]`: a tagged union by `type`, every default filled in. */
export const Detector = mapping(
  v.variant("type", [FileDetector, CommandDetector], (issue) =>
    // The variant words both its own problems: not a mapping (no path), or a bad `type`.
    issue.path === undefined ? fallbackMessage(issue) : issue.input === undefined ? "is required" : expected(`"file" or "command"`)(issue),
  ),
);
type DetectorConfig = v.InferOutput<typeof Detector>;

/** The detector's effective name: trimmed `name`, else Go's `file:<path>` / `command:<cmd[0]>`. */
function detectorName(d: { name?: unknown; type?: unknown; path?: unknown; cmd?: unknown }): string {
  if (typeof d.name === "string" && d.name.trim() !== "") return d.name.trim();
  if (d.type === "file") return `file:${typeof d.path === "string" ? d.path : ""}`;
  const argv0 = Array.isArray(d.cmd) && typeof d.cmd[0] === "string" ? d.cmd[0] : "";
  return `command:${argv0}`;
}

/** Names must be unique (Go checked this only at run time); a detector that did not parse is named from what was written. */
export const detectorsRules = uniqueNames<DetectorConfig>(
  (d) => {
    // Only names that mean something: a detector without type/path/cmd has its own problem.
    const name = detectorName(d);
    const meaningless = name === "file:" || name === "command:" || !["file", "command"].includes(String((d as { type?: unknown }).type));
    return meaningless && typeof (d as { name?: unknown }).name !== "string" ? undefined : name;
  },
  (name, first, d) => ({
    message: `duplicate detector name ${JSON.stringify(name)} (also reboot_required_detectors[${first}]); names must be unique`,
    // Valid detectors already carry their derived name; point at `name` only if it was set.
    at: name !== detectorName({ ...d, name: undefined }) ? ["name"] : [],
  }),
);
