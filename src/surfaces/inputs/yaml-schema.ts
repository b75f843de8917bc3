import * as fs from 'node:fs';
import { isNode, isPair, isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../../engine/errors';

/** One problem found in a data file, located by line and column (1-based). */
export interface FileProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path inside the document, `(document)` for the root. */
  path: string;
  message: string;
}

/** `file:line:column: path: message`, the shape editors and CI annotations understand. */
export function formatProblem(p: FileProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`;
}

/** Thrown for invalid data files; a usage error (exit 2) whose message lists every problem. */
export class DataFileError extends UsageError {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

type Key = string | number;

/** The YAML node at `path`, or the deepest ancestor that exists. */
function nodeAt(document: Document, path: readonly Key[]): { node: unknown; depth: number } {
  for (let depth = path.length; depth > 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as Key[], true);
    if (isNode(node)) return { node, depth };
  }
  return { node: document.contents, depth: 0 };
}

/** The key node of `key` in the map at `path`, so an unknown key is reported where it is written. */
function keyNode(document: Document, path: readonly Key[], key: string): unknown {
  const parent = path.length === 0 ? document.contents : document.getIn(path as Key[], true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isPair(item) && isNode(item.key) && (item.key as { value?: unknown }).value === key);
  return pair?.key;
}

/** Unwraps optional/default/nullable wrappers of a zod schema. */
function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def?: { type?: string; innerType?: unknown } } } | undefined;
  while (current?._zod?.def?.innerType !== undefined && ['optional', 'default', 'nullable', 'prefault'].includes(current._zod.def.type ?? '')) {
    current = current._zod.def.innerType as typeof current;
  }
  return current;
}

/** Keys an object schema accepts at `path`, best effort (empty when the path leads elsewhere). */
function allowedKeysAt(schema: unknown, path: readonly Key[]): string[] {
  let current = unwrap(schema) as { _zod?: { def?: Record<string, unknown> } } | undefined;
  for (const [i, key] of path.entries()) {
    const def = current?._zod?.def;
    if (def === undefined) return [];
    if (def.type === 'union') {
      // Scenario files are a union of kinds: take the keys from whichever option knows this path.
      const keys = (def.options as unknown[]).flatMap((option) => allowedKeysAt(option, path.slice(i)));
      return [...new Set(keys)];
    }
    if (def.type === 'object') current = unwrap((def.shape as Record<string, unknown>)[String(key)]) as typeof current;
    else if (def.type === 'array') current = unwrap(def.element) as typeof current;
    else if (def.type === 'record') current = unwrap(def.valueType) as typeof current;
    else return [];
  }
  const def = current?._zod?.def;
  if (def?.type === 'union') return [...new Set((def.options as unknown[]).flatMap((option) => allowedKeysAt(option, [])))];
  return def?.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : [];
}

type Issue = z.core.$ZodIssue;

/**
 * A value that matches none of a union's forms gets zod's bare "Invalid input". The form that got
 * furthest (the longest path) is almost always the one the author meant, so report its problem.
 */
function deepestUnionIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const candidates = issue.errors.flat().map((inner) => deepestUnionIssue({ ...inner, path: [...issue.path, ...inner.path] } as Issue));
  const best = candidates.reduce((a, b) => (b.path.length > a.path.length ? b : a));
  return best.path.length > issue.path.length ? best : issue;
}

function describeFound(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * Parses YAML text and validates it against a zod schema. Every problem is located at its
 * file:line:column, names its path and what was found; malformed YAML is reported the same way.
 */
export function parseYamlWithSchema<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (document.errors.length > 0) {
    throw new DataFileError(
      document.errors.map((error) => {
        const { line, col } = at(error.pos[0]);
        return { file, line, column: col, path: '(yaml)', message: `malformed YAML: ${error.message.split('\n')[0]}` };
      }),
    );
  }
  let data: unknown;
  try {
    // The yaml library refuses documents whose aliases expand too far (a "billion laughs" bomb).
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new DataFileError([{ file, line: 1, column: 1, path: '(yaml)', message: `refused: ${(error as Error).message} (more than ${MAX_ALIAS_COUNT} alias expansions)` }]);
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const located = (node: unknown, shownPath: readonly Key[], message: string): FileProblem => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const { line, col } = range !== undefined ? at(range[0]) : { line: 1, col: 1 };
    return { file, line, column: col, path: shownPath.length > 0 ? shownPath.join('.') : '(document)', message };
  };
  const problems = parsed.error.issues.map(deepestUnionIssue).flatMap((issue): FileProblem[] => {
    const path = issue.path.filter((k): k is Key => typeof k === 'string' || typeof k === 'number');
    if (issue.code === 'unrecognized_keys') {
      // zod reports every unknown key of one object in a single issue: one problem per key.
      const allowed = allowedKeysAt(schema, path);
      return issue.keys.map((key) =>
        located(keyNode(document, path, key) ?? nodeAt(document, path).node, [...path, key], `unknown key '${key}'${allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : ''}`),
      );
    }
    const found = nodeAt(document, path);
    const message = found.depth === path.length ? `${issue.message} (found ${describeFound(document.getIn(path as Key[]))})` : issue.message;
    return [located(found.node, path, message)];
  });
  throw new DataFileError(problems);
}

/** Alias expansions a data file may use; scenario files need a handful at most. */
export const MAX_ALIAS_COUNT = 100;

/**
 * Reads a data file as UTF-8, refusing invalid UTF-8 (which Node would silently turn into U+FFFD)
 * with the line and column of the first bad byte. An unreadable file is a usage error.
 */
export function readUtf8File(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Locate the first byte that does not decode: the longest valid prefix ends there.
    let low = 0;
    let high = bytes.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid));
        low = mid;
      } catch {
        high = mid - 1;
      }
    }
    const prefix = bytes.subarray(0, low).toString('utf8');
    const lines = prefix.split('\n');
    throw new DataFileError([{ file, line: lines.length, column: lines[lines.length - 1].length + 1, path: '(file)', message: `invalid UTF-8 (byte 0x${bytes[low].toString(16).padStart(2, '0')} at offset ${low})` }]);
  }
}

/** Reads a file and validates it with {@link parseYamlWithSchema}; an unreadable file is a usage error. */
export function readYamlWithSchema<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return parseYamlWithSchema(readUtf8File(file), file, schema);
}
