/**
 * Where a config the Go clusterrebootd accepted is refused here on purpose, the one-line change
 * that makes it load (README, "Coming from the Go clusterrebootd"). validate-config prints the
 * hints under the problems, so an operator moving a Go config over is told what to do, not only
 * what is wrong.
 */

interface Migration {
  /** Matches a problem line as the loader words it ("<field>: <message>"). */
  test: RegExp;
  hint: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    test: /^etcd_endpoints\[\d+\]: "https:\/\/[^"]*" needs etcd_tls\.enabled/,
    hint: "an https:// endpoint with etcd_tls.enabled false (Go dialled it without TLS settings): set etcd_tls.enabled: true with ca_file, or write the endpoint as host:port for plain text",
  },
  {
    test: /^(lock_ttl_sec: must be greater than health_timeout_sec|etcd_request_timeout_sec: must be less than lock_ttl_sec)/,
    hint: "lock_ttl_sec must exceed health_timeout_sec and etcd_request_timeout_sec (5 s by default), so short Go TTLs such as 5 are refused: omit lock_ttl_sec for the 90 s default",
  },
  {
    test: /got 0 \(omit the key to use the default|timeout_sec: must be > 0, got 0: in the Go daemon 0 meant/,
    hint: "0 no longer means \"use the default\" (nor \"no timeout\" for a detector): delete the key to get the default",
  },
];

/** The migration hints for these problems, each once, in table order. */
export function goMigrationHints(problems: readonly string[]): string[] {
  return MIGRATIONS.filter((m) => problems.some((p) => m.test.test(p))).map((m) => m.hint);
}
