/** Front door of detect/: "does this node need a reboot?" from file and command detectors. */
export { evaluateDetectors, summarizeErrors } from "./evaluate.ts";
export type { DetectorDeps, DetectorResult, DetectorSpec, Evaluation } from "./types.ts";
