/**
 * YAML text → plain data, or problems with line:column. Stricter than the Go loader, which
 * ignored every document after the first (W14) and reported an empty file as `EOF`.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from "yaml";

export type YamlResult = { ok: true; data: Record<string, unknown> } | { ok: false; problems: string[] };

/** Parse one YAML document whose root is a mapping. Never throws. */
export function parseYamlMapping(text: string): YamlResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  const at = (pos: readonly [number, number] | undefined) => {
    if (pos === undefined) return "";
    const { line, col } = lineCounter.linePos(pos[0]);
    return ` at line ${line}, column ${col}`;
  };
  for (const doc of docs) {
    for (const e of doc.errors) problems.push(`config: YAML syntax error${at(e.pos)}: ${e.message}`);
    // Warnings are things like unresolved tags (`!foo 1` silently becoming a string).
    for (const w of doc.warnings) problems.push(`config: YAML problem${at(w.pos)}: ${w.message}`);
  }
  if (problems.length > 0) return { ok: false, problems };

  // A trailing `---` yields an empty second document; only documents with content count.
  const withContent = docs.filter((d) => !isEmpty(d));
  const [doc, second] = withContent;
  if (doc === undefined) return { ok: false, problems: ["config: the file is empty (no YAML document)"] };
  if (second !== undefined) {
    const range = second.contents?.range;
    return {
      ok: false,
      problems: [
        `config: found ${withContent.length} YAML documents, expected one; the second starts` +
          `${at(range === undefined ? undefined : [range[0], range[1]])} (the Go daemon silently ignored it)`,
      ],
    };
  }
  if (!isMap(doc.contents)) {
    const what = isSeq(doc.contents) ? "a list" : "a single value";
    return { ok: false, problems: [`config: the top level must be a mapping of keys (node_name: …), got ${what}`] };
  }
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown> };
  } catch (e) {
    // e.g. an alias to an anchor that does not exist, or an alias bomb.
    return { ok: false, problems: [`config: YAML problem: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

// --- internal ---

function isEmpty(doc: Document.Parsed): boolean {
  return doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
}
