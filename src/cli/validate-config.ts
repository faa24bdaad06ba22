import { goMigrationHints, loadConfigFile } from "../config/index.ts";
import { outcome } from "../orchestrate/outcome.ts";
import { configArg } from "./_args.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: {
    name: "validate-config",
    description: "check everything the daemon would later trip on; exit 2 with every problem listed",
  },
  args: { ...configArg },
  async run({ args, cli }) {
    const res = await loadConfigFile(args.config, { env: cli.env });
    if (!res.ok) {
      // Same report as every command's (cli/_setup.ts loadOrFail), plus what to change where the
      // problem is a deliberate difference from the Go daemon.
      const lines = [`configuration invalid: ${args.config}`, ...res.problems.map((p) => `  - ${p}`)];
      const hints = goMigrationHints(res.problems);
      if (hints.length > 0) lines.push(`coming from the Go clusterrebootd (README: "Coming from the Go clusterrebootd"):`, ...hints.map((h) => `  * ${h}`));
      cli.stderr(lines.join("\n") + "\n");
      return outcome("config_error", `${res.problems.length} configuration problem(s)`);
    }
    for (const w of res.warnings) cli.stderr(`warning: ${w}\n`);
    cli.stdout(`configuration at ${args.config} is valid\n`);
    return outcome("ok", "valid");
  },
});
