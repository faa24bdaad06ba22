/**
 * The configurations spin checks (models/slots.pml), with what each must give: "pass" (exhaustive
 * search, no error) or "fail" (a counter-example trail). docs/SLOTS.md §The model lists the figures.
 * `fast` marks the subset `--fast` runs. Bounds: BUDGET=k allows at most k fault moves per run
 * (crash, freeze, gate refusal, pause, unlock, a deadline passing, a reboot that does not happen,
 * the data loss); UNPLANNED=k at most k power losses, on top of BUDGET. NO_RESUME: the operator
 * never runs `resume --group`.
 */
export interface ModelConfig {
  name: string;
  /** spin -D switches. */
  defines: string[];
  expect: "pass" | "fail";
  kind: "safety" | "liveness";
  fast: boolean;
  why: string;
}

export const CONFIGS: readonly ModelConfig[] = [
  { name: "n3-l1-f3", defines: ["N=3", "L=1", "BUDGET=3"], expect: "pass", kind: "safety", fast: true, why: "3 nodes, limit 1, at most 3 faults" },
  { name: "n3-l1-f2-u1", defines: ["N=3", "L=1", "BUDGET=2", "UNPLANNED=1"], expect: "pass", kind: "safety", fast: true, why: "3 nodes, limit 1, at most 2 faults and 1 power loss: down members, the freeze" },
  { name: "n3-l2-f2", defines: ["N=3", "L=2", "BUDGET=2"], expect: "pass", kind: "safety", fast: false, why: "3 nodes, limit 2, at most 2 faults" },
  { name: "n3-l2-u1", defines: ["N=3", "L=2", "BUDGET=0", "UNPLANNED=1"], expect: "pass", kind: "safety", fast: true, why: "3 nodes, limit 2, one power loss: the fence's guard compare keeps it (mutant-fence-no-guard fails here)" },
  { name: "n3-l2-f1-u1", defines: ["N=3", "L=2", "BUDGET=1", "UNPLANNED=1"], expect: "pass", kind: "safety", fast: false, why: "the same with one more fault" },
  { name: "n4-l1-f2", defines: ["N=4", "L=1", "BUDGET=2"], expect: "pass", kind: "safety", fast: false, why: "4 nodes, limit 1, at most 2 faults" },
  { name: "n4-l2-f1", defines: ["N=4", "L=2", "BUDGET=1"], expect: "pass", kind: "safety", fast: false, why: "4 nodes, limit 2, at most 1 fault" },
  { name: "n3-l1-mislimit", defines: ["N=3", "L=1", "BUDGET=2", "MISLIMIT"], expect: "pass", kind: "safety", fast: false, why: "one node configured with limit 2: the smallest recorded or published limit wins" },
  { name: "n3-l1-no-queue", defines: ["N=3", "L=1", "BUDGET=2", "UNPLANNED=1", "MUTANT_NO_QUEUE"], expect: "pass", kind: "safety", fast: false, why: "everyone ignores the queue: the acquire transaction alone keeps the budget" },
  { name: "n2-l1-impostor", defines: ["N=2", "L=1", "BUDGET=3", "IMPOSTOR", "NO_RESUME"], expect: "pass", kind: "safety", fast: false, why: "2 nodes plus a second machine with node 0's name (3 machines); the operator never resumes a frozen group (see gap-impostor-after-resume)" },
  { name: "gap-impostor-after-resume", defines: ["N=2", "L=1", "BUDGET=3", "IMPOSTOR"], expect: "fail", kind: "safety", fast: true, why: "the code before the member-record identity check (not modelled yet): a machine with a failed node's name that starts after the failure and `resume --group` publishes a record for the name, so the failed machine no longer counts as down (the identity check looks at live health and slot records only)" },
  { name: "n2-l1-wipe", defines: ["N=2", "L=1", "BUDGET=3", "WIPE"], expect: "pass", kind: "safety", fast: true, why: "etcd loses all its data once, at any moment" },
  { name: "live-n3-l1", defines: ["N=3", "L=1", "BUDGET=2", "LIVENESS"], expect: "pass", kind: "liveness", fast: true, why: "weak fairness, at most 2 faults: every node eventually reboots" },
  { name: "live-n3-l2", defines: ["N=3", "L=2", "BUDGET=2", "LIVENESS"], expect: "pass", kind: "liveness", fast: false, why: "the same with limit 2" },
  { name: "mutant-no-fence", defines: ["N=3", "L=1", "BUDGET=3", "MUTANT_NO_FENCE"], expect: "fail", kind: "safety", fast: true, why: "the fence puts `rebooting` without comparing anything" },
  { name: "n3-l1-early-release", defines: ["N=3", "L=1", "BUDGET=2", "MUTANT_EARLY_RELEASE"], expect: "pass", kind: "safety", fast: false, why: "release before the post-boot health check: safe now, the node counts as down until a health check passes" },
  { name: "mutant-no-deadline-check", defines: ["N=3", "L=1", "BUDGET=3", "MUTANT_NO_DEADLINE_CHECK"], expect: "fail", kind: "safety", fast: true, why: "a daemon frozen past its deadline still runs the command" },
  { name: "mutant-no-machine-id", defines: ["N=2", "L=1", "BUDGET=3", "IMPOSTOR", "MUTANT_NO_MACHINE_ID"], expect: "fail", kind: "safety", fast: true, why: "slots and records matched by node name only; weak: the code fails this configuration too (gap-impostor-after-resume), and without `resume --group` the freeze alone keeps the mutant safe (docs)" },
  { name: "mutant-no-etcd-id", defines: ["N=2", "L=1", "BUDGET=3", "WIPE", "MUTANT_NO_ETCD_ID"], expect: "fail", kind: "safety", fast: true, why: "no hold-off after etcd lost its data" },
  { name: "mutant-slots-only", defines: ["N=3", "L=1", "BUDGET=2", "UNPLANNED=1", "MUTANT_SLOTS_ONLY"], expect: "fail", kind: "safety", fast: true, why: "admission counts slots only (ignores members down without a slot)" },
  { name: "mutant-no-freeze", defines: ["N=3", "L=1", "BUDGET=2", "MUTANT_NO_FREEZE"], expect: "fail", kind: "safety", fast: true, why: "a slot past its deadline is freed without freezing the group (the old lease expiry)" },
  { name: "mutant-no-up-compare", defines: ["N=3", "L=1", "BUDGET=2", "MUTANT_NO_UP_COMPARE"], expect: "fail", kind: "safety", fast: true, why: "ACQUIRE does not compare the health keys of members it counted as up" },
  { name: "mutant-fence-no-budget", defines: ["N=3", "L=1", "BUDGET=2", "UNPLANNED=1", "MUTANT_FENCE_NO_BUDGET"], expect: "fail", kind: "safety", fast: true, why: "the fence neither re-checks the budget nor compares health keys" },
  { name: "mutant-fence-no-up-compare", defines: ["N=3", "L=1", "BUDGET=2", "UNPLANNED=1", "MUTANT_FENCE_NO_UP_COMPARE"], expect: "fail", kind: "safety", fast: true, why: "the fence re-checks the budget on its view but compares no health key" },
  { name: "fault-force-unlock", defines: ["N=3", "L=1", "BUDGET=3", "FORCE"], expect: "fail", kind: "safety", fast: true, why: "`unlock --force` of a rebooting slot may exceed the budget (documented)" },
  { name: "mutant-fence-no-guard", defines: ["N=3", "L=2", "BUDGET=0", "UNPLANNED=1", "MUTANT_FENCE_NO_GUARD"], expect: "fail", kind: "safety", fast: true, why: "the fence does not compare the guards its view read (the code before that compare): a slot taken since that view plus a power loss exceed a limit >= 2; with the compare this configuration passes (docs: too big for CI)" },
];
