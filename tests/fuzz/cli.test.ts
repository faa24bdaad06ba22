/**
 * Fuzzing the command line in-process: random argv through `main` (src/cli/index.ts: our flag
 * check, then citty's parser) with every real command's name, meta and args, but a stand-in `run`
 * that records its call and returns a chosen outcome (or throws). Nothing is spawned and nothing
 * touches the machine. Properties, for any argv:
 *
 * - main resolves (never rejects) with one of the documented exit codes;
 * - when the command ran, the code is EXIT_CODE of its outcome (1 when it threw);
 * - when it did not run, the argv was refused as usage (64), or help was asked for (0);
 * - the parsed args the command sees have the declared types.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ArgsDef, CommandDef } from "citty";
import { COMMANDS, main } from "../../src/cli/index.ts";
import { normaliseGoFlags } from "../../src/cli/_flags.ts";
import { EXIT_CODE, type OutcomeKind } from "../../src/orchestrate/outcome.ts";
import { FUZZ_TIMEOUT_MS, fuzzAsync, fuzzRuns } from "../support/fuzz.ts";

const DOCUMENTED = new Set([0, 1, 2, 3, 4, 5, 6, 64]);
const KINDS = Object.keys(EXIT_CODE) as OutcomeKind[];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandDef<any>;
type Behaviour = { kind: "outcome"; outcome: OutcomeKind } | { kind: "undefined" } | { kind: "throw" };

/** What the stand-ins saw on the current input. */
const seen: { ran: boolean; args: Record<string, unknown> | undefined; defs: ArgsDef | undefined } = { ran: false, args: undefined, defs: undefined };
let behaviour: Behaviour = { kind: "undefined" };

let stubs: Record<string, [string, () => Promise<AnyCommand>]> = {};
const flagTokens: string[] = [];
/** Per command: well-formed flag groups (`--json`, `--config X`, positional values). */
const wellFormed: Record<string, string[][]> = {};

beforeAll(async () => {
  for (const [name, [desc, load]] of Object.entries(COMMANDS)) {
    const real = await load();
    const defs = ((typeof real.args === "function" ? await real.args() : await real.args) ?? {}) as ArgsDef;
    wellFormed[name] = Object.entries(defs).map(([arg, def]) => {
      const t = (def as { type?: string }).type;
      return t === "positional" ? ["serve"] : t === "boolean" ? [`--${arg}`] : [`--${arg}`, "/nonexistent/value"];
    });
    for (const [arg, def] of Object.entries(defs)) {
      const d = def as { type?: string; alias?: string | string[] };
      if (d.type === "positional") continue;
      flagTokens.push(`--${arg}`, `--${arg}=`, `--${arg}=x`, `-${arg}`, `--no-${arg}`);
      for (const a of [d.alias ?? []].flat()) flagTokens.push(`-${a}`);
    }
    const stub: AnyCommand = {
      meta: real.meta,
      args: defs,
      run: ({ args }) => {
        seen.ran = true;
        seen.args = args as Record<string, unknown>;
        seen.defs = defs;
        if (behaviour.kind === "throw") throw new Error("stand-in failure");
        return behaviour.kind === "outcome" ? { kind: behaviour.outcome, message: "fuzz" } : undefined;
      },
    };
    stubs[name] = [desc, async () => stub];
  }
});

const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(COMMANDS), "help", "-h", "--help", "-v", "--version", "--", "-", "serve", "constructor", "__proto__", "toString") },
  { weight: 4, arbitrary: fc.constant(null).chain(() => fc.constantFrom(...flagTokens)) },
  { weight: 2, arbitrary: fc.constantFrom("/etc/clusterrebootd/config.yaml", "node-a", "0", "-1", "true", "false", "127.0.0.1:8080", "", " ", "=", "--=", "---", "-=x") },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => `--${s}`) },
);
/** A command with some of its own flags, sometimes with one token replaced: near-valid argv. */
const plausible = fc.constant(null).chain(() =>
  fc.constantFrom(...Object.keys(COMMANDS)).chain((name) =>
    fc
      .tuple(fc.subarray(wellFormed[name] ?? []), fc.option(fc.tuple(fc.nat(), token), { freq: 3 }))
      .map(([groups, swap]) => {
        const argv = [name, ...groups.flat()];
        if (swap !== null) argv[swap[0] % argv.length] = swap[1];
        return argv;
      }),
  ),
);
const argvArb = fc.oneof(fc.array(token, { maxLength: 8 }), plausible);
const behaviourArb: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constantFrom(...KINDS).map((outcome): Behaviour => ({ kind: "outcome", outcome })),
  fc.constant<Behaviour>({ kind: "undefined" }),
  fc.constant<Behaviour>({ kind: "throw" }),
);

/** How the inputs split, so the property cannot pass vacuously (e.g. every argv refused). */
const tally = { ran: 0, refused: 0, help: 0 };

async function check([argv, b]: [string[], Behaviour]): Promise<void> {
  seen.ran = false;
  seen.args = undefined;
  behaviour = b;
  let out = 0;
  const code = await main([...argv], { commands: stubs, stdout: (t) => void (out += t.length), stderr: (t) => void (out += t.length) });
  expect(DOCUMENTED.has(code)).toBe(true);
  if (seen.ran) {
    tally.ran++;
    const expected = b.kind === "throw" ? 1 : b.kind === "outcome" ? EXIT_CODE[b.outcome] : 0;
    expect(code).toBe(expected);
    for (const [name, def] of Object.entries(seen.defs ?? {})) {
      const d = def as { type?: string };
      const v = seen.args?.[name];
      if (d.type === "boolean") expect(typeof v).toBe("boolean"); // declared booleans all have defaults
      if (d.type === "string" && v !== undefined) expect(typeof v).toBe("string");
    }
    return;
  }
  const rest = argv.slice(1);
  // A flag that Go's syntax rules out (an unknown single-dash token) is refused before --help is seen.
  const known = Object.hasOwn(COMMANDS, argv[0] ?? "") && argv[0] !== "version";
  const norm = known ? await normaliseGoFlags(await COMMANDS[argv[0]!]![1](), rest) : undefined;
  const help = ["--help", "-h", "help"].includes(argv[0] ?? "") || (norm?.ok === true && (norm.args.includes("--help") || norm.args.includes("-h")));
  expect(code).toBe(help ? 0 : 64);
  tally[help ? "help" : "refused"]++;
  expect(out).toBeGreaterThan(0); // a refusal or the help always says something
}

describe("CLI argv fuzzing (in-process, stand-in commands)", () => {
  test(
    "any argv: documented exit code, the command's own code when it ran, 64 when refused",
    async () => {
      await fuzzAsync("cli argv", fc.tuple(argvArb, behaviourArb), fuzzRuns(5000), check);
      console.log(`  ran ${tally.ran}, refused ${tally.refused}, help ${tally.help}`);
      const total = tally.ran + tally.refused + tally.help;
      expect(tally.ran).toBeGreaterThan(total / 20);
      expect(tally.refused).toBeGreaterThan(total / 20);
    },
    FUZZ_TIMEOUT_MS,
  );

  test.each<[string[], number]>([
    [["fleetlock"], 64], // citty: missing required positional (was exit 1)
    [["constructor"], 64], // Object's members are not commands (main used to throw)
    [["__proto__", "--json"], 64],
    [["status", "--config"], 64],
    [["status", "--bogus"], 64],
    [["status", "extra"], 64],
    [[], 64],
    [["status", "--help"], 0],
  ])("%p → %p", async (argv, expected) => {
    seen.ran = false;
    behaviour = { kind: "outcome", outcome: "no_action" };
    expect(await main(argv, { commands: stubs, stdout: () => {}, stderr: () => {} })).toBe(expected);
  });
});
