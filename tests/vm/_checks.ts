/**
 * What the VM tier reads back from the guests and from etcd: the daemon's journal (JSON lines),
 * `history --json`, and waits on the external ledger.
 */
import { waitFor } from "../support/wait.ts";
import type { Fleet } from "./_fleet.ts";
import { render } from "./_ledger.ts";
import type { LedgerEntry, Vm } from "./_vm.ts";

export interface LogEvent {
  ts: string;
  level: string;
  event: string;
  fields?: Record<string, unknown>;
}

interface JournalEntry {
  MESSAGE?: string | number[];
  SYSLOG_IDENTIFIER?: string;
  _PID?: string;
}

/**
 * The unit's journal: every line the daemon wrote must be a JSON object (log shippers rely on it);
 * systemd's own lines about the unit (started, stopped, failed) are returned as `systemd`.
 * `report: true` (timer mode): `run --timer` also prints its human pass report on stdout, which
 * lands in the same journal; those lines are returned as `text`, and only lines that look like
 * JSON must parse.
 */
export async function journal(vm: Vm, unit: string, opts: { report?: boolean } = {}): Promise<{ events: LogEvent[]; systemd: string[]; text: string[] }> {
  const out = await vm.sshOk(`journalctl -u ${unit} -o json --no-pager`);
  const events: LogEvent[] = [];
  const systemd: string[] = [];
  const text: string[] = [];
  for (const line of out.split("\n").filter(Boolean)) {
    const e = JSON.parse(line) as JournalEntry;
    const msg = Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE).toString() : (e.MESSAGE ?? "");
    if (e.SYSLOG_IDENTIFIER === "systemd") {
      systemd.push(msg);
      continue;
    }
    if (opts.report && !msg.startsWith("{")) {
      text.push(msg);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(msg);
    } catch {
      throw new Error(`${vm.name}: ${unit} wrote a line that is not JSON: ${msg}`);
    }
    events.push(parsed as LogEvent);
  }
  return { events, systemd, text };
}

export interface HistoryEntry {
  node: string;
  outcome: string;
  boot_id_before?: string;
  boot_id_after?: string;
}

export async function history(vm: Vm): Promise<HistoryEntry[]> {
  const out = await vm.sshOk("clusterrebootd history --json");
  return (JSON.parse(out) as { entries: HistoryEntry[] }).entries;
}

/** The UP entries of `vm` after `since`. */
export function ups(ledger: readonly LedgerEntry[], vm: string, since: number): LedgerEntry[] {
  return ledger.filter((e) => e.vm === vm && e.kind === "UP" && e.at >= since);
}

export function downs(ledger: readonly LedgerEntry[], vm: string, since: number): LedgerEntry[] {
  return ledger.filter((e) => e.vm === vm && e.kind === "DOWN" && e.at >= since);
}

/** Waits until each VM came back up once after `since` and no slot is left in etcd. */
export async function waitRebooted(fleet: Fleet, vms: Vm[], since: number, timeoutMs: number): Promise<void> {
  const missing = () => vms.filter((vm) => ups(fleet.ledger, vm.name, since).length === 0).map((v) => v.name);
  try {
    await waitFor(async () => missing().length === 0 && (await fleet.slots()).length === 0, {
      timeoutMs, intervalMs: 2000, what: `${vms.map((v) => v.name).join(", ")} to reboot and release their slots`,
    });
  } catch (error) {
    const slots = await fleet.slots().catch(() => []);
    throw new Error(`${(error as Error).message}\nnot back: ${missing().join(", ") || "none"}; slots: ${JSON.stringify(slots)}\nledger:\n${render(fleet.ledger)}`);
  }
}

/** Each VM's events of one name, in order. */
export function named(events: LogEvent[], name: string): LogEvent[] {
  return events.filter((e) => e.event === name);
}
