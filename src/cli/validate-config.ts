import { defineCommand } from "citty";
import { outcome } from "../orchestrate/outcome.ts";
import { configArg } from "./_args.ts";
import { loadOrFail } from "./_setup.ts";

export default defineCommand({
  meta: {
    name: "validate-config",
    description: "check everything the daemon would later trip on; exit 2 with every problem listed",
  },
  args: { ...configArg },
  async run({ args }) {
    const res = await loadOrFail(args.config);
    if (!res.ok) return res.outcome;
    for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`configuration at ${args.config} is valid\n`);
    return outcome("ok", "valid");
  },
});
