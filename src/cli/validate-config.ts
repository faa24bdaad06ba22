import { defineCommand } from "citty";
import { goMigrationHints, loadConfigFile } from "../config/index.ts";
import { outcome } from "../orchestrate/outcome.ts";
import { configArg } from "./_args.ts";

export default defineCommand({
  meta: {
    name: "validate-config",
    description: "check everything the daemon would later trip on; exit 2 with every problem listed",
  },
  args: { ...configArg },
  async run({ args }) {
    const res = await loadConfigFile(args.config, { env: process.env });
    if (!res.ok) {
      // Same report as every command's (cli/_setup.ts loadOrFail), plus what to change where the
      // problem is a deliberate difference from the Go daemon.
      const lines = [`configuration invalid: ${args.config}`, ...res.problems.map((p) => `  - ${p}`)];
      const hints = goMigrationHints(res.problems);
      if (hints.length > 0) lines.push(`coming from the Go clusterrebootd (README: "Coming from the Go clusterrebootd"):`, ...hints.map((h) => `  * ${h}`));
      process.stderr.write(lines.join("\n") + "\n");
      return outcome("config_error", `${res.problems.length} configuration problem(s)`);
    }
    for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`configuration at ${args.config} is valid\n`);
    return outcome("ok", "valid");
  },
});
