/**
 * Which files of a config root trusts (see src/trust): what it runs and what decides how it
 * talks to etcd and Kubernetes. Works on the partially parsed config, like `_files.ts`, so a
 * config with a typo and a world-writable health script reports both.
 */
import type { TrustTarget } from "../trust/index.ts";
import { DEFAULT_REBOOT_COMMAND } from "./_keys.ts";
import { IN_CLUSTER } from "./_kubernetes.ts";
import { get } from "./_fields.ts";

export function trustTargets(cfg: unknown): TrustTarget[] {
  const out: TrustTarget[] = [];
  const file = (field: string, path: unknown) => {
    if (typeof path === "string" && path.trim() !== "") out.push({ field, path, use: "file" });
  };
  const health = get(cfg, "health_script");
  if (typeof health === "string" && health.trim() !== "") out.push({ field: "health_script", path: health.trim(), use: "executable" });
  const detectors = get(cfg, "reboot_required_detectors");
  if (Array.isArray(detectors)) {
    detectors.forEach((d: unknown, i) => {
      const cmd = get(d, "cmd");
      if (get(d, "type") === "command" && Array.isArray(cmd) && typeof cmd[0] === "string" && cmd[0].trim() !== "") {
        out.push({ field: `reboot_required_detectors[${i}].cmd[0]`, path: cmd[0], use: "command" });
      }
    });
  }
  // Absent = the default shutdown command, which root runs just the same.
  const reboot = get(cfg, "reboot_command") ?? DEFAULT_REBOOT_COMMAND;
  if (Array.isArray(reboot) && typeof reboot[0] === "string" && reboot[0].trim() !== "") {
    out.push({ field: "reboot_command[0]", path: reboot[0], use: "command" });
  }
  const tls = get(cfg, "etcd_tls");
  if (get(tls, "enabled") === true) for (const k of ["ca_file", "cert_file", "key_file"]) file(`etcd_tls.${k}`, get(tls, k));
  file("etcd_auth.password_file", get(get(cfg, "etcd_auth"), "password_file"));
  const flTls = get(get(cfg, "fleetlock"), "tls");
  for (const k of ["cert_file", "key_file"]) file(`fleetlock.tls.${k}`, get(flTls, k));
  file("fleetlock_client.ca_file", get(get(cfg, "fleetlock_client"), "ca_file"));
  const dash = get(cfg, "dashboard");
  for (const k of ["cert_file", "key_file"]) file(`dashboard.tls.${k}`, get(get(dash, "tls"), k));
  file("dashboard.basic_auth.password_file", get(get(dash, "basic_auth"), "password_file"));
  const kube = get(cfg, "kubernetes");
  const kubeconfig = get(kube, "kubeconfig");
  if (kubeconfig !== IN_CLUSTER) file("kubernetes.kubeconfig", kubeconfig);
  const checks = get(cfg, "health_checks");
  if (Array.isArray(checks)) {
    checks.forEach((c: unknown, i) => {
      for (const k of ["ca_file", "cert_file", "key_file"]) file(`health_checks[${i}].${k}`, get(c, k));
    });
  }
  return out;
}
