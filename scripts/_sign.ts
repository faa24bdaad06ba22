/**
 * Optional gpg signing, only when a key is supplied (GPG_KEY = key id, fingerprint or e-mail
 * in the caller's keyring; GNUPGHOME is honoured; GPG_PASSPHRASE_FILE for a protected key):
 * - each .rpm gets a native signature (rpmsign), checked by `rpm -K` / dnf after importing the key;
 * - SHA256SUMS and every artefact get a detached ASCII signature `<file>.asc`
 *   (`gpg --verify SHA256SUMS.asc SHA256SUMS && sha256sum -c SHA256SUMS`);
 * - the public key is exported next to them as clusterrebootd-signing-key.asc.
 * A .deb is not signed inside (dpkg does not verify such signatures); the signed SHA256SUMS
 * covers it, as Debian's own archives do with signed indexes.
 */
import { basename, join } from "node:path";
import { run } from "./_pkg-build.ts";

export interface SigningKey {
  id: string;
  passphraseFile?: string;
  /** gpg home holding the key (GNUPGHOME); default gpg's own. */
  home?: string;
}

export function signingKeyFromEnv(env: Record<string, string | undefined>): SigningKey | undefined {
  const id = env["GPG_KEY"]?.trim();
  if (!id) return undefined;
  const passphraseFile = env["GPG_PASSPHRASE_FILE"]?.trim();
  const home = env["GNUPGHOME"]?.trim();
  return { id, ...(passphraseFile ? { passphraseFile } : {}), ...(home ? { home } : {}) };
}

const gpgEnv = (key: SigningKey): Record<string, string> => (key.home ? { GNUPGHOME: key.home } : {});

function gpgArgs(key: SigningKey): string[] {
  return ["--batch", "--yes", "--local-user", key.id, ...(key.passphraseFile ? ["--pinentry-mode", "loopback", "--passphrase-file", key.passphraseFile] : [])];
}

export async function signRpm(file: string, key: SigningKey): Promise<void> {
  const extra = key.passphraseFile ? `--pinentry-mode loopback --passphrase-file ${key.passphraseFile}` : "";
  // rpm's default gpg path differs between distributions (Debian's says /usr/bin/gpg2): use ours.
  const gpg = Bun.which("gpg") ?? "gpg";
  await run(["rpmsign", "--addsign", "--define", `__gpg ${gpg}`, "--define", `_gpg_name ${key.id}`, ...(extra ? ["--define", `_gpg_sign_cmd_extra_args ${extra}`] : []), file], gpgEnv(key));
}

/** Detached armored signature `<file>.asc`. */
export async function signDetached(file: string, key: SigningKey): Promise<string> {
  const out = `${file}.asc`;
  await run(["gpg", ...gpgArgs(key), "--armor", "--detach-sign", "--output", out, file], gpgEnv(key));
  return out;
}

export async function exportPublicKey(dir: string, key: SigningKey): Promise<string> {
  const out = join(dir, "clusterrebootd-signing-key.asc");
  await run(["gpg", "--batch", "--yes", "--armor", "--output", out, "--export", key.id], gpgEnv(key));
  if ((await Bun.file(out).size) === 0) throw new Error(`gpg exported nothing for key ${key.id}`);
  return out;
}

export function describe(files: string[]): string {
  return files.map((f) => basename(f)).join(", ");
}
