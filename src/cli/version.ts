import { defineCommand } from "citty";
import { buildInfo } from "../version.ts";
import { outcome } from "../orchestrate/outcome.ts";

export default defineCommand({
  meta: { name: "version", description: "print version, commit, build date, Bun version and target" },
  run() {
    const b = buildInfo();
    process.stdout.write(`clusterrebootd ${b.version}\ncommit: ${b.commit}\nbuilt: ${b.buildDate}\nbun: ${b.bunVersion}\ntarget: ${b.target}\n`);
    return outcome("ok", "version printed");
  },
});
