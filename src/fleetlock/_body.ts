/**
 * Reading an HTTP body (a request on the server, a response in the client) with a hard cap. Content-Length over the cap is refused before a byte is
 * read; a chunked body is read only up to the cap. Bun's own `maxRequestBodySize` is set much
 * higher (server.ts) as a backstop, so nearly every refusal carries our JSON error body.
 */
export type BodyResult =
  | { kind: "ok"; text: string }
  | { kind: "too_large"; limit: number }
  | { kind: "invalid"; message: string }; // not UTF-8, or the client broke off

/** The part of a Request or Response we read; both satisfy it. */
export interface BodySource {
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export async function readBodyCapped(req: BodySource, maxBytes: number): Promise<BodyResult> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > maxBytes) return { kind: "too_large", limit: maxBytes };
  if (req.body === null) return { kind: "ok", text: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return { kind: "too_large", limit: maxBytes };
      }
      chunks.push(value);
    }
  } catch (err) {
    return { kind: "invalid", message: `could not read the body: ${err instanceof Error ? err.message : String(err)}` };
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  try {
    return { kind: "ok", text: new TextDecoder("utf-8", { fatal: true }).decode(all) };
  } catch {
    return { kind: "invalid", message: "body is not valid UTF-8" };
  }
}
