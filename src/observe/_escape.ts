/**
 * Human output shows text others wrote: etcd key names and records (any client with write access
 * to the namespace), health-script and detector output. Raw, an escape sequence in it would drive
 * the operator's terminal (retitle it, rewrite earlier lines, hide a blocker). Every control
 * character except tab is shown as a visible escape instead; newlines inside one value too, so
 * a value cannot fake a line of the report.
 */
// C0 controls except \t, DEL, and C1 controls (0x80–0x9f: 0x9b alone starts a CSI sequence).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** Multi-line output (a script's stdout): each line escaped, continuation lines indented under the first. */
export function escapeBlock(s: string, indent: string): string {
  return s
    .split(/\r?\n/)
    .map((line) => escapeControl(line))
    .join(`\n${indent}`);
}
