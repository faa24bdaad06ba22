import { buildInfo } from "../version.ts";
import { outcome } from "../orchestrate/outcome.ts";
import { defineCliCommand } from "./_context.ts";

export default defineCliCommand({
  meta: { name: "version", description: "print version, commit, build date, Bun version and target" },
  run({ cli }) {
    const b = buildInfo();
    cli.stdout(`clusterrebootd ${b.version}\ncommit: ${b.commit}\nbuilt: ${b.buildDate}\nbun: ${b.bunVersion}\ntarget: ${b.target}\n`);
    return outcome("ok", "version printed");
  },
});
