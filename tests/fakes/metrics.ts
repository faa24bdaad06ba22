import type { Metrics } from "../../src/observe/index.ts";

/** Metrics that remember every call: counters summed, gauges' last value, histogram samples. */
export class RecordingMetrics implements Metrics {
  counters = new Map<string, number>();
  gauges = new Map<string, number>();
  samples = new Map<string, number[]>();
  contentType = "text/plain";
  private key = (name: string, labels: Record<string, string> = {}) =>
    `${name}${Object.keys(labels).length ? `{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",")}}` : ""}`;
  inc(name: string, labels?: Record<string, string>, by = 1) {
    const k = this.key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }
  observe(name: string, seconds: number, labels?: Record<string, string>) {
    const k = this.key(name, labels);
    this.samples.set(k, [...(this.samples.get(k) ?? []), seconds]);
  }
  set(name: string, value: number, labels?: Record<string, string>) {
    this.gauges.set(this.key(name, labels), value);
  }
  reset(name: string) {
    for (const k of [...this.gauges.keys()]) if (k === name || k.startsWith(`${name}{`)) this.gauges.delete(k);
  }
  addSource() {}
  render = async () => "";
  /** Sum over every label set of a counter or every sample count of a histogram. */
  total(name: string): number {
    let n = 0;
    for (const [k, v] of this.counters) if (k === name || k.startsWith(`${name}{`)) n += v;
    for (const [k, v] of this.samples) if (k === name || k.startsWith(`${name}{`)) n += v.length;
    return n;
  }
}
