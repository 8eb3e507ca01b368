/**
 * YAML read with positions, so every complaint about a pipeline definition
 * or a sweep (a space file, the `sweep:` block of ciclo.yaml) names the
 * file, line and column of the node at fault:
 * `space.yaml:4:14: lr: loguniform needs low > 0`. JSON is YAML, so
 * `--space space.json` goes through the same path. Each reader passes the
 * error class it throws (PipelineDefinitionError, SweepSpecError).
 * @module
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";

/** A definition that cannot be used, at a place in its file; `line`/`col` are 1-based (0 when unknown). */
export class LocatedYamlError extends Error {
  override name = "LocatedYamlError";
  constructor(
    message: string,
    readonly file: string,
    readonly line = 0,
    readonly col = 0,
  ) {
    super(line > 0 ? `${file}:${line}:${col}: ${message}` : `${file}: ${message}`);
  }
}

export interface LocatedDoc {
  file: string;
  /** The document's root node (undefined for an empty document). */
  root: Node | undefined;
  /** An error pointing at `node` (or at the file when the node has no position). */
  error(node: Node | undefined | null, message: string): LocatedYamlError;
  /** `file:line:col` of a node, for messages that point at a second place. */
  at(node: Node): string;
}

/** Makes the reader's own error class. */
export type LocatedErrorClass = new (message: string, file: string, line?: number, col?: number) => LocatedYamlError;

/** Parses YAML (or JSON) text; a syntax error, and every `doc.error`, is a `make` at its position. */
export function parseLocated(text: string, file: string, make: LocatedErrorClass = LocatedYamlError): LocatedDoc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const error = (node: Node | undefined | null, message: string) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return new make(message, file);
    const pos = lineCounter.linePos(offset);
    return new make(message, file, Math.max(1, pos.line), pos.col);
  };
  const at = (node: Node) => {
    const e = error(node, "");
    return e.line > 0 ? `${file}:${e.line}:${e.col}` : file;
  };
  const bad = doc.errors[0];
  if (bad) {
    const pos = lineCounter.linePos(bad.pos[0]);
    throw new make(`not valid YAML: ${bad.message.split("\n")[0]}`, file, Math.max(1, pos.line), pos.col);
  }
  return { file, root: (doc.contents ?? undefined) as Node | undefined, error, at };
}

/** The pairs of a mapping node, keys as strings; anything else is an error at the node. */
export function mapEntries(doc: LocatedDoc, node: Node | undefined | null, what: string): Array<{ key: string; keyNode: Node; value: Node | null; pair: Pair }> {
  if (!isMap(node)) throw doc.error(node, `${what} must be a mapping.`);
  return (node as YAMLMap).items.map((pair) => {
    const keyNode = pair.key as Node;
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object") throw doc.error(keyNode, `${what}: keys must be plain names.`);
    return { key: String(keyNode.value), keyNode, value: (pair.value ?? null) as Node | null, pair };
  });
}

/** The scalar value of a node, or undefined when it is not a scalar. */
export function scalarOf(node: Node | null | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

export { isMap, isScalar, isSeq };
export type { Node };
