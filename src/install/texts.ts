/**
 * The unit files, tmpfiles entry and config template, embedded from packaging/ at build time.
 * One source for the packages and for `install`, so the scp workflow and the .deb/.rpm set up
 * exactly the same units (only the binary path differs, see PACKAGE_BINARY).
 */
import passService from "../../packaging/systemd/clusterrebootd-pass.service" with { type: "text" };
import daemonService from "../../packaging/systemd/clusterrebootd.service" with { type: "text" };
import timer from "../../packaging/systemd/clusterrebootd.timer" with { type: "text" };
import tmpfiles from "../../packaging/clusterrebootd.tmpfiles" with { type: "text" };
// bun-types declares *.yaml as a parsed document (any); with type "text" it is the raw text.
import configYaml from "../../packaging/config.yaml" with { type: "text" };

/** The binary path written in the packaged units; `install` substitutes its own. */
export const PACKAGE_BINARY = "/usr/bin/clusterrebootd";

export const TEXTS = {
  daemonService,
  passService,
  timer,
  tmpfiles,
  configTemplate: configYaml as string,
} as const;

/** The units with every `/usr/bin/clusterrebootd` replaced by `binary`. */
export function unitText(text: string, binary: string): string {
  return text.split(PACKAGE_BINARY).join(binary);
}
