/**
 * JSON.parse with the place of a syntax error: `file:line:column`. Node's own message names the
 * position only for some errors; jsonc-parser (in strict JSON mode) finds it for every one.
 *
 * @packageDocumentation
 */
import { parse as parseTolerant, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { UsageError } from '../../engine/errors';

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/**
 * Parses `text` as strict JSON.
 *
 * @throws UsageError `label:line:column: malformed JSON: ...` when it is not JSON
 */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const errors: ParseError[] = [];
    parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const where = first === undefined ? '' : `:${lineColumn(text, first.offset)}`;
    const what = first === undefined ? (error as Error).message : `${printParseErrorCode(first.error)} (${(error as Error).message})`;
    throw new UsageError(`${label}${where}: malformed JSON: ${what}`);
  }
}
