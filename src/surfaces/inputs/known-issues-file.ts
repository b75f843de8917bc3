import { knownIssuesFileSchema, type KnownIssue } from '../../engine/expectations/known-issues';
import { parseYamlWithSchema, readYamlWithSchema } from './yaml-schema';

/** Reads and validates a known-issues file; problems are usage errors located at file:line:column. */
export function loadKnownIssues(file: string): KnownIssue[] {
  return readYamlWithSchema(file, knownIssuesFileSchema)['known-issues'];
}

/** Parses known-issues YAML text; `file` names it in errors. */
export function parseKnownIssues(text: string, file: string): KnownIssue[] {
  return parseYamlWithSchema(text, file, knownIssuesFileSchema)['known-issues'];
}
