/**
 * HTTP basic auth for the page when it is served beyond loopback. Both sides are hashed before
 * the constant-time comparison so neither the length nor a prefix of the password leaks.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface BasicAuth {
  username: string;
  password: string;
}

export const REALM = "clusterrebootd dashboard";

/** True when the request carries the right `Authorization: Basic …` header. */
export function authorized(auth: BasicAuth, header: string | null): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = same(decoded.slice(0, colon), auth.username);
  const passOk = same(decoded.slice(colon + 1), auth.password);
  return userOk && passOk;
}

export function challenge(): Response {
  return new Response("authentication required\n", {
    status: 401,
    headers: { "www-authenticate": `Basic realm="${REALM}", charset="UTF-8"`, "content-type": "text/plain; charset=utf-8" },
  });
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
