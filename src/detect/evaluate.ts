import { runCommandDetector } from "./_command.ts";
import { runFileDetector } from "./_file.ts";
import type { DetectorDeps, DetectorResult, DetectorSpec, Evaluation } from "./types.ts";

/**
 * Ask every detector whether a reboot is needed: sequentially, in config order, without
 * short-circuiting, so the report always shows every detector's view. An errored detector never
 * counts as "required", and `hasErrors` lets the caller refuse to act on a partial answer.
 * When `signal` aborts, the running command is killed and the rest are not started.
 */
export async function evaluateDetectors(
  specs: readonly DetectorSpec[],
  deps: DetectorDeps,
  signal?: AbortSignal,
): Promise<Evaluation> {
  const started = deps.clock.now();
  const results: DetectorResult[] = [];
  for (const spec of specs) {
    if (signal?.aborted) {
      results.push({ name: spec.name, type: spec.type, durationMs: 0, kind: "error", error: "aborted" });
      continue;
    }
    results.push(spec.type === "file" ? await runFileDetector(spec, deps) : await runCommandDetector(spec, deps, signal));
  }
  return {
    requiresReboot: results.some((r) => r.kind === "required"),
    hasErrors: results.some((r) => r.kind === "error"),
    aborted: signal?.aborted ?? false,
    results,
    durationMs: deps.clock.now() - started,
  };
}

/** "name: error; name: error" for the errored detectors, like the Go daemon's aggregate error. */
export function summarizeErrors(evaluation: Evaluation): string {
  return evaluation.results
    .flatMap((r) => (r.kind === "error" ? [`${r.name}: ${r.error}`] : []))
    .join("; ");
}
