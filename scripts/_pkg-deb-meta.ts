/**
 * Debian metadata texts: control, copyright (machine-readable format) and changelog, plus the
 * version mapping shared with the RPM (a semver pre-release must sort before the release).
 */
import type { StageInput } from "./_pkg-stage.ts";

/** Upgrades never replace an edited config: dpkg keeps it and asks (or keeps it with --force-confold). */
export const DEB_CONFFILES = ["/etc/clusterrebootd/config.yaml"];

export const SUMMARY = "cluster reboot coordinator with reboot slots in etcd";

const DESCRIPTION = [
  "clusterrebootd decides on every node of a cluster whether that node may reboot",
  "now: detectors say whether a reboot is needed, a health script and the health",
  "records of the other nodes say whether it can be afforded, maintenance windows",
  "say when. A node takes one of a limited number of reboot slots of its group in",
  "etcd before rebooting and releases it once healthy again.",
  ".",
  "Runs as a daemon (clusterrebootd.service) or from a timer",
  "(clusterrebootd.timer). Nothing is enabled or started on installation.",
];

/** "1.2.3" → "1.2.3", "1.2.3-rc.1" → "1.2.3~rc.1" (dpkg and rpm sort "~" before everything). */
export function packageVersion(semver: string): string {
  const m = /^(\d+\.\d+\.\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(semver);
  if (!m) throw new Error(`not a semver version: ${semver}`);
  const [, core, pre, build] = m;
  return `${core}${pre ? `~${pre.replace(/-/g, ".")}` : ""}${build ? `+${build.replace(/-/g, ".")}` : ""}`;
}

/**
 * The .deb version: native (we are upstream, there is no separate Debian revision), with a
 * package release other than 1 appended as "+rN" so a rebuild of the same version upgrades.
 */
export function debVersion(semver: string, release: string): string {
  return `${packageVersion(semver)}${release === "1" ? "" : `+r${release}`}`;
}

export const DEB_ARCH: Record<StageInput["arch"], string> = { amd64: "amd64", arm64: "arm64" };
export const RPM_ARCH: Record<StageInput["arch"], string> = { amd64: "x86_64", arm64: "aarch64" };

export function debControl(input: StageInput, installedKiB: number): string {
  return [
    "Package: clusterrebootd",
    `Version: ${debVersion(input.version, input.release)}`,
    `Architecture: ${DEB_ARCH[input.arch]}`,
    `Maintainer: ${input.maintainer}`,
    `Installed-Size: ${installedKiB}`,
    // The binary links libc, libm, libdl and libpthread only, with symbol versions up to GLIBC_2.17.
    "Depends: libc6 (>= 2.17)",
    "Section: admin",
    "Priority: optional",
    ...(input.homepage ? [`Homepage: ${input.homepage}`] : []),
    `Description: ${SUMMARY}`,
    ...DESCRIPTION.map((l) => ` ${l}`),
    "",
  ].join("\n");
}

export function debChangelog(input: StageInput): string {
  const date = new Date(input.epoch * 1000).toUTCString().replace("GMT", "+0000");
  return [
    `clusterrebootd (${debVersion(input.version, input.release)}) unstable; urgency=medium`,
    "",
    `  * Release ${input.version}, built from commit ${input.commit}.`,
    "",
    ` -- ${input.maintainer}  ${date}`,
    "",
  ].join("\n");
}

export function debCopyright(input: StageInput, license: string): string {
  const year = new Date(input.epoch * 1000).getUTCFullYear();
  const body = license.replace(/^MIT License\s*\n\s*Copyright[^\n]*\n/, "").trim();
  return [
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
    "Upstream-Name: clusterrebootd",
    ...(input.homepage ? [`Source: ${input.homepage}`] : []),
    "Comment: /usr/bin/clusterrebootd is a Bun executable. Besides clusterrebootd's",
    " own code (MIT) it contains the Bun runtime (MIT; it statically links",
    " JavaScriptCore/WebKit, LGPL-2+, see /usr/share/common-licenses/LGPL-2, and",
    " other libraries listed at https://bun.sh/docs/project/licensing) and npm",
    " packages under MIT, ISC, BSD-3-Clause and Apache-2.0 licenses",
    " (/usr/share/common-licenses/Apache-2.0). Their names, versions and license",
    " texts are in /usr/share/doc/clusterrebootd/THIRD-PARTY-NOTICES.gz; the",
    ` license of the whole executable is: ${input.license}.`,
    "",
    "Files: *",
    `Copyright: ${year} The clusterrebootd authors`,
    "License: MIT",
    "",
    "License: MIT",
    ...body.split("\n").map((l) => (l.trim() === "" ? " ." : ` ${l}`)),
    "",
  ].join("\n");
}
