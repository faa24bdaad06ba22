/**
 * Loading: file → YAML → schema → environment and file-system checks, collecting every problem
 * (W14: everything `run` would trip over is found here, so `validate-config` and SIGHUP reload
 * see it too, and all of it maps to exit 2).
 */
import * as v from "valibot";
import type { FileStat } from "../platform/ports.ts";
import { RC_VARIABLE_NAMES } from "./env.ts";
import { errorReason, fileChecks, realFileAccess, type FileAccess } from "./_files.ts";
import { dropSkippedKeys, fallbackMessage, issueProblems } from "./_issues.ts";
import { placeholdersOf } from "./placeholders.ts";
import { parseYamlMapping } from "./_yaml.ts";
import { ConfigSchema, type Config } from "./schema.ts";
import { realTrustDeps, trustProblems, type TrustDeps } from "../trust/index.ts";
import { trustTargets } from "./_trust.ts";
import { windowWarnings } from "../windows/index.ts";

export const DEFAULT_CONFIG_PATH = "/etc/clusterrebootd/config.yaml";

/** Expected outcome of loading: a config (plus warnings to log) or every problem found. */
export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; problems: string[] };

export interface LoadOptions {
  /** Environment the reboot command will see; decides which `$VAR` placeholders are known. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Reads the config, TLS and password files. Overridable for tests. */
  readFile?: (path: string) => Promise<string>;
  /** Stats the health script and kill switch (warnings only). Overridable for tests. */
  stat?: (path: string) => Promise<FileStat>;
  /** Ownership checks of what root runs and reads (src/trust). Overridable for tests. */
  trust?: TrustDeps;
}

/** Load and validate the config file at `path`. Never throws for bad input. */
export async function loadConfigFile(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const readFile = opts.readFile ?? realFileAccess.readFile;
  let text: string;
  try {
    text = await readFile(path);
  } catch (e) {
    return { ok: false, problems: [`config: cannot read ${path}: ${errorReason(e)}`] };
  }
  // A config others can edit is as good as theirs: it names what root runs. Reported with the
  // content's own problems, so one validate-config run lists everything.
  const own = await trustProblems([{ field: "config", path, use: "file" }], opts.trust ?? realTrustDeps);
  const res = await parseConfigText(text, opts);
  if (own.length === 0) return res;
  return { ok: false, problems: unique([...own.map(shorten), ...(res.ok ? [] : res.problems)]) };
}

/** Quoted values longer than this are cut in problem lines, so a 100 KB value cannot flood the log. */
const MAX_QUOTED = 80;

/** Cuts every long quoted value (`"…"`) and, as a last resort, the whole line. */
export function shorten(problem: string): string {
  const cut = problem.replace(/"(?:[^"\\]|\\.)*"/g, (q) => (q.length <= MAX_QUOTED ? q : `${q.slice(0, MAX_QUOTED - 12)}…" (${q.length - 2} characters)`));
  return cut.length <= 4 * MAX_QUOTED * 2 ? cut : `${cut.slice(0, 4 * MAX_QUOTED * 2)}… (cut)`;
}

/** Validate config text (tests, reload, `validate-config`). Never throws for bad input. */
export async function parseConfigText(text: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const yaml = parseYamlMapping(text);
  if (!yaml.ok) return { ok: false, problems: yaml.problems.map(shorten) };

  const skipped = dropSkippedKeys(yaml.data);
  const parsed = v.safeParse(ConfigSchema, yaml.data, { message: fallbackMessage });
  // On failure `output` is the partially parsed value; the checks below guard every field.
  const partial: unknown = parsed.output;
  const fs: FileAccess = {
    readFile: opts.readFile ?? realFileAccess.readFile,
    stat: opts.stat ?? realFileAccess.stat,
  };
  const [files, trust] = await Promise.all([fileChecks(partial, fs), trustProblems(trustTargets(partial), opts.trust ?? realTrustDeps)]);
  const problems = unique([
    ...(parsed.success ? [] : issueProblems(parsed.issues)),
    ...skipped,
    ...placeholderProblems(partial, opts.env ?? process.env),
    ...files.problems,
    ...trust,
  ]);
  if (!parsed.success || problems.length > 0) return { ok: false, problems: problems.map(shorten) };
  // Accepted-but-odd window spellings (Go-compatible times like "1:5") get their canonical form.
  return { ok: true, config: parsed.output, warnings: [...files.warnings, ...windowWarnings(parsed.output.windows)] };
}

// --- internal ---

/** W22: a placeholder must name an RC_* variable we export or a variable that is set. */
function placeholderProblems(cfg: unknown, env: Record<string, string | undefined>): string[] {
  const argv = cfg !== null && typeof cfg === "object" ? (cfg as { reboot_command?: unknown }).reboot_command : undefined;
  if (!Array.isArray(argv)) return [];
  const known = new Set(RC_VARIABLE_NAMES);
  const problems: string[] = [];
  argv.forEach((arg: unknown, i) => {
    if (typeof arg !== "string") return;
    const r = placeholdersOf(arg);
    if (!r.ok) {
      problems.push(
        `reboot_command[${i}]: malformed placeholder ${JSON.stringify(r.text)}: write $NAME or \${NAME}, or $$ for a literal $`,
      );
      return;
    }
    for (const name of r.names) {
      if (known.has(name) || (Object.hasOwn(env, name) && env[name] !== undefined)) continue;
      problems.push(
        `reboot_command[${i}]: unknown placeholder $${name}: it is not one of our RC_* variables and not set ` +
          "in the environment, so it would expand to nothing",
      );
    }
  });
  return problems;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
