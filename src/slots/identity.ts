/**
 * Which machine a record belongs to. A node name is not an identity: one cloud-init user-data or
 * a cloned SD card gives two machines the same name. Records carry the writer's machine id and,
 * since a disk clone copies /etc/machine-id too, its hardware id (platform/_hardware-id.ts). A
 * record is another machine's when the machine ids differ, or when they are equal and both
 * hardware ids are known and differ (a clone). Records written before a field existed lack it and
 * are taken as ours for that field: old fleets keep working. Model step MACHINE_IDENTITY.
 */

export interface MachineIdentity {
  machineId?: string;
  hardwareId?: string;
}

/** The identity fields a record carries (slot, health and member records). */
export interface IdentityFields {
  machine_id?: string | undefined;
  hardware_id?: string | undefined;
}

/** The record's machine, described, when it is not this one; undefined when it is ours (or cannot tell). */
export function foreignMachine(rec: IdentityFields | undefined, me: MachineIdentity): { theirs: string; clone: boolean } | undefined {
  if (!rec || !me.machineId) return undefined;
  if (rec.machine_id && rec.machine_id !== me.machineId) return { theirs: describeMachine({ machineId: rec.machine_id, hardwareId: rec.hardware_id }), clone: false };
  if (rec.hardware_id && me.hardwareId && rec.hardware_id !== me.hardwareId)
    return { theirs: describeMachine({ machineId: rec.machine_id ?? me.machineId, hardwareId: rec.hardware_id }), clone: true };
  return undefined;
}

export const describeMachine = (m: MachineIdentity): string => `machine ${m.machineId ?? "unknown"}${m.hardwareId ? ` (hardware ${m.hardwareId})` : ""}`;

/** The identity fields to write into a record. */
export const identityFields = (m: MachineIdentity): IdentityFields => ({
  ...(m.machineId ? { machine_id: m.machineId } : {}),
  ...(m.hardwareId ? { hardware_id: m.hardwareId } : {}),
});

/** What an operator does about a clone or a shared name. */
export function identityFix(clone: boolean): string {
  return clone
    ? "This is a disk clone (same /etc/machine-id, other hardware): give the copy its own identity (rm /etc/machine-id && systemd-machine-id-setup; remove /var/lib/clusterrebootd) and its own node_name, then start again."
    : "Give every machine its own node_name (the templates derive it from the hostname) and start again.";
}
