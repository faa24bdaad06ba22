/**
 * What this binary is: version, commit, build date, Bun runtime and target.
 *
 * `scripts/build.ts` bakes the values in through `define` constants. When running from source
 * (`bun run src/main.ts`) none are defined and we fall back to package.json's version with a
 * `-dev` suffix; commit and date are "unknown" because asking git would mean spawning a process
 * at start-up, and a daemon's version line must not depend on the working directory.
 */
import packageJson from "../package.json" with { type: "json" };

declare const __CRD_VERSION__: string;
declare const __CRD_COMMIT__: string;
declare const __CRD_BUILD_DATE__: string;
declare const __CRD_TARGET__: string;

export interface BuildInfo {
  /** Semver of the release, e.g. "0.1.0"; "<package.json version>-dev" when run from source. */
  version: string;
  /** Short git commit the binary was built from, or "unknown". */
  commit: string;
  /** ISO-8601 UTC build time (from SOURCE_DATE_EPOCH for reproducible builds), or "unknown". */
  buildDate: string;
  /** Version of the Bun runtime executing us (embedded in the binary when compiled). */
  bunVersion: string;
  /** `<os>-<arch>` the binary was built for, e.g. "linux-amd64"; the running one when from source. */
  target: string;
}

export function buildInfo(): BuildInfo {
  return {
    version: typeof __CRD_VERSION__ !== "undefined" ? __CRD_VERSION__ : `${packageJson.version}-dev`,
    commit: typeof __CRD_COMMIT__ !== "undefined" ? __CRD_COMMIT__ : "unknown",
    buildDate: typeof __CRD_BUILD_DATE__ !== "undefined" ? __CRD_BUILD_DATE__ : "unknown",
    bunVersion: Bun.version,
    target: typeof __CRD_TARGET__ !== "undefined" ? __CRD_TARGET__ : `${process.platform}-${process.arch}`,
  };
}
