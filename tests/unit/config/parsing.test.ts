import { describe, expect, test } from "bun:test";
import { checkListen, normalizeKeyPath, parseEndpoint } from "../../../src/config/_addresses.ts";
import { expandPlaceholders, type Expansion } from "../../../src/config/index.ts";

describe("expandPlaceholders", () => {
  const vars = { RC_NODE_NAME: "node-1", EMPTY: "" };
  test.each([
    ["no placeholders", "plain text", { kind: "ok", value: "plain text" }],
    ["${NAME}", "reboot ${RC_NODE_NAME}", { kind: "ok", value: "reboot node-1" }],
    ["$NAME stops at a non-name character", "$RC_NODE_NAME-x", { kind: "ok", value: "node-1-x" }],
    ["an empty value is a value", "[$EMPTY]", { kind: "ok", value: "[]" }],
    ["$$ is a literal $", "$$RC_NODE_NAME", { kind: "ok", value: "$RC_NODE_NAME" }],
    ["$ before a digit or space stays literal", "costs $5 or $ 6$", { kind: "ok", value: "costs $5 or $ 6$" }],
    ["unknown names are reported, not emptied", "$NOPE and ${ALSO_NOPE}", { kind: "unknown", names: ["NOPE", "ALSO_NOPE"] }],
    ["inherited object keys are not variables", "$constructor", { kind: "unknown", names: ["constructor"] }],
    ["unterminated ${", "x ${RC_NODE_NAME", { kind: "malformed", text: "${RC_NODE_NAME" }],
    ["bad name in braces", "${1x}", { kind: "malformed", text: "${1x}" }],
    ["empty braces", "${}", { kind: "malformed", text: "${}" }],
  ] as [string, string, Expansion][])("%s", (_name, arg, expected) => {
    expect(expandPlaceholders(arg, vars)).toEqual(expected);
  });
});

describe("normalizeKeyPath", () => {
  test.each([
    ["/clusterrebootd", "/clusterrebootd"],
    ["clusterrebootd", "/clusterrebootd"],
    ["/prod/clusterrebootd/", "/prod/clusterrebootd"],
    ["//a//", "/a"],
    ["/a.b/c_d-e", "/a.b/c_d-e"],
  ])("%p → %p", (raw, normalized) => {
    expect(normalizeKeyPath(raw)).toEqual({ ok: true, value: normalized });
  });

  test.each(["/", "", "/a//b", "/a/./b", "/..", "/a b", "/ä", "/a:b"])("%p is rejected", (raw) => {
    expect(normalizeKeyPath(raw).ok).toBe(false);
  });
});

describe("parseEndpoint", () => {
  test.each([
    ["127.0.0.1:2379", { scheme: null, host: "127.0.0.1", port: 2379 }],
    ["http://127.0.0.1:2379", { scheme: "http", host: "127.0.0.1", port: 2379 }],
    ["HTTPS://localhost:2379/", { scheme: "https", host: "localhost", port: 2379 }],
    ["[::1]:2379", { scheme: null, host: "[::1]", port: 2379 }],
    ["etcd-1.example.internal:2379", { scheme: null, host: "etcd-1.example.internal", port: 2379 }],
  ])("%p parses", (raw, value) => {
    expect(parseEndpoint(raw)).toEqual({ ok: true, value: { text: raw, ...value } } as ReturnType<typeof parseEndpoint>);
  });

  test.each([
    ["", "missing host"],
    ["localhost", "missing port"],
    ["127.0.0.1:", "missing port"],
    ["127.0.0.1:0", "invalid port"],
    ["127.0.0.1:65536", "invalid port"],
    ["ftp://127.0.0.1:21", "unsupported scheme"],
    ["http://127.0.0.1:2379/v3", "not an endpoint"],
    ["under_score:2379", "invalid host"],
    ["127.0.0.1:2379,127.0.0.1:2380", "invalid port"],
  ])("%p is rejected (%s)", (raw, why) => {
    const r = parseEndpoint(raw);
    expect(r.ok ? "ok" : r.error).toStartWith(why);
  });
});

describe("checkListen", () => {
  test.each(["127.0.0.1:9090", ":9090", "[::1]:0", "localhost:65535"])("%p is fine", (raw) => {
    expect(checkListen(raw)).toBeNull();
  });
  test.each(["127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x", "::1:9090", "http://127.0.0.1:9090", " :9090"])(
    "%p is rejected",
    (raw) => {
      expect(checkListen(raw)).not.toBeNull();
    },
  );
});
