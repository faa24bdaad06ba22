/**
 * Build plugin that makes etcd3 work inside a `bun build --compile` binary.
 *
 * Why: etcd3's `lib/connection-pool.js` runs, at import time,
 *   loadSync(`${__dirname}/../proto/rpc.proto`, { keepCase: true, ... })
 * and the compiler freezes `__dirname` to the build machine's absolute path, so the binary
 * dies with ENOENT on any machine without that checkout (`--asset` does not help). We load the
 * protos here, at build time, and replace that call by `fromJSON(<descriptor JSON>, <same
 * options>)` from @grpc/proto-loader, which needs no file system at run time.
 *
 * The rewrite is text-based on purpose: if an etcd3 upgrade changes the line, the build stops
 * with a message instead of shipping a binary that crashes on start. A second guard compares
 * what `fromJSON` produces against what `loadSync` produces, so a descriptor that lost
 * something (a service, a method, a field) fails the build as well.
 */
import type { BunPlugin } from "bun";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The exact call we replace; group 1 = the options object literal, kept verbatim. */
const LOAD_CALL =
  /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, (\{[^{}]*\})\)/g;

/** Options of @grpc/proto-loader that change how the .proto text is parsed (the rest apply later). */
interface ParseOptions {
  keepCase: boolean;
}

/** The subset of @grpc/proto-loader we call; typed here because we load it by path. */
interface ProtoLoader {
  loadSync(file: string, options: Record<string, unknown>): Record<string, unknown>;
  fromJSON(json: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

interface ProtobufRoot {
  loadSync(file: string, options: ParseOptions): ProtobufRoot;
  resolveAll(): ProtobufRoot;
  toJSON(): unknown;
}

/** Thrown for a build that must not continue; the message says what to look at. */
export class BuildPluginError extends Error {
  override name = "BuildPluginError";
}

/**
 * Rewrites the source of etcd3's connection-pool.js. Pure apart from loading the protos next to
 * `file`, so it can be exercised without a bundler.
 */
export function rewriteConnectionPool(source: string, file: string): string {
  const matches = [...source.matchAll(LOAD_CALL)];
  if (matches.length !== 1) {
    throw new BuildPluginError(
      `etcd3 proto inlining: expected exactly one \`loadSync(\`\${__dirname}/../proto/rpc.proto\`, {...})\` ` +
        `in ${file}, found ${matches.length}. etcd3 changed; update scripts/_build-plugin.ts ` +
        `(the compiled binary would otherwise fail with ENOENT on rpc.proto).`,
    );
  }
  const optionsText = matches[0]![1]!;
  const parse: ParseOptions = { keepCase: /\bkeepCase:\s*true\b/.test(optionsText) };
  const protoFile = join(dirname(file), "..", "proto", "rpc.proto");

  // Load the same @grpc/proto-loader and protobufjs that etcd3 itself resolves at run time.
  const requireFromEtcd = createRequire(file);
  const loaderPath = requireFromEtcd.resolve("@grpc/proto-loader");
  const loader = requireFromEtcd(loaderPath) as ProtoLoader;
  const protobuf = createRequire(loaderPath)("protobufjs") as { Root: new () => ProtobufRoot };

  const descriptor = new protobuf.Root().loadSync(protoFile, parse).resolveAll().toJSON();
  const options = evaluateOptions(optionsText);
  assertSameDefinition(loader.loadSync(protoFile, options), loader.fromJSON(descriptor, options), file);

  const replacement = `(0, proto_loader_1.fromJSON)(${JSON.stringify(descriptor)}, ${optionsText})`;
  return source.replace(LOAD_CALL, () => replacement);
}

/**
 * Evaluates the options literal (e.g. `{ keepCase: true, longs: String, ... }`) so the build-time
 * comparison uses exactly what etcd3 passes. Only identifiers from a fixed list may appear.
 */
function evaluateOptions(text: string): Record<string, unknown> {
  const allowed = new Set(["true", "false", "String", "Number", "Array", "Object"]);
  for (const [, key, value] of text.matchAll(/(\w+)\s*:\s*([^,}\s]+)/g)) {
    if (!allowed.has(value!)) {
      throw new BuildPluginError(`etcd3 proto inlining: unexpected option ${key}: ${value}`);
    }
  }
  return new Function(`return (${text});`)() as Record<string, unknown>;
}

/**
 * The package definition drives every gRPC call; compare its observable shape (service method
 * paths, streaming flags, message descriptors) between the file-based and the inlined load.
 * File names in the descriptors legitimately differ, so they are left out.
 */
function assertSameDefinition(
  fromFile: Record<string, unknown>,
  inlined: Record<string, unknown>,
  file: string,
): void {
  const shape = (def: Record<string, unknown>) =>
    JSON.stringify(def, (key, value: unknown) =>
      key === "fileDescriptorProtos" || typeof value === "function" ? undefined : value,
    );
  if (shape(fromFile) !== shape(inlined)) {
    throw new BuildPluginError(
      `etcd3 proto inlining: the inlined descriptor does not match loadSync() for ${file}`,
    );
  }
}

/** Bun plugin: applies {@link rewriteConnectionPool} to etcd3's connection-pool.js and counts hits. */
export function etcd3ProtoPlugin(): BunPlugin & { rewrites(): number } {
  let rewrites = 0;
  return {
    name: "etcd3-inline-protos",
    rewrites: () => rewrites,
    setup(build) {
      build.onLoad({ filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async ({ path }) => {
        const contents = rewriteConnectionPool(await Bun.file(path).text(), path);
        rewrites += 1;
        return { contents, loader: "js" };
      });
    },
  };
}
