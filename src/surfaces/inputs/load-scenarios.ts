import picomatch from 'picomatch';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { DataFileError, readYamlWithSchema, type FileProblem } from './yaml-schema';
import { UsageError } from '../../engine/errors';
import { scenarioSchema, tagVocabularySchema } from '../../engine/scenarios/schema';
import type { LoadedScenario } from '../../engine/scenarios/types';
import { FOLDER_KNOWN_ISSUES_FILE, SHIPPED_SCENARIOS } from '../paths';

/** The tag vocabulary file's name inside a scenario folder; it is not a scenario. */
export const TAG_VOCABULARY_FILE = 'tags.yaml';

function listYamlFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listYamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) files.push(full);
  }
  return files;
}

/** Line and column of the first occurrence of `needle` in a file, for problems found after parsing. */
function locate(file: string, needle: string): { line: number; column: number } {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const column = lines[i].indexOf(needle);
    if (column >= 0) return { line: i + 1, column: column + 1 };
  }
  return { line: 1, column: 1 };
}

/** Line and column of the node at `at` in a (valid) YAML file; falls back to {@link locate}. */
function locateNode(file: string, at: Array<string | number>, needle: string): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const node = parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter }).getIn(at, true);
  const range = isNode(node) ? node.range : undefined;
  if (range === undefined || range === null) return locate(file, needle);
  const { line, col } = lineCounter.linePos(range[0]);
  return { line, column: col };
}

/**
 * Loads every scenario file under `dir` (recursively), validating each against the schema, the tag
 * vocabulary in `dir/tags.yaml` (the shipped one when the folder has none), and two layout rules: a
 * file's id is its path under `dir` without `.yaml`, and ids are unique. `dir/tags.yaml` and
 * `dir/known-issues.yaml` (the folder's own known issues) are not scenarios. All problems of all
 * files are reported together, as usage errors.
 */
export function loadScenarios(dir: string): LoadedScenario[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: scenario folder not found`);
  // A folder of one's own may bring its own vocabulary; without one it uses the shipped tags.
  const ownVocabulary = path.join(dir, TAG_VOCABULARY_FILE);
  const vocabularyFile = fs.existsSync(ownVocabulary) ? ownVocabulary : path.join(SHIPPED_SCENARIOS, TAG_VOCABULARY_FILE);
  const vocabulary = readYamlWithSchema(vocabularyFile, tagVocabularySchema).tags;
  const allowedTags = Object.keys(vocabulary);

  const reserved = new Set([ownVocabulary, path.join(dir, FOLDER_KNOWN_ISSUES_FILE)].map((file) => path.resolve(file)));
  const files = listYamlFiles(dir).filter((file) => !reserved.has(path.resolve(file)));
  if (files.length === 0) throw new UsageError(`${dir}: no scenario files (*.yaml) found`);

  const problems: FileProblem[] = [];
  const loaded: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let scenario;
    try {
      scenario = readYamlWithSchema(file, scenarioSchema);
    } catch (error) {
      if (error instanceof DataFileError) {
        problems.push(...error.problems);
        continue;
      }
      throw error;
    }
    const expectedId = path.relative(dir, file).replace(/\.ya?ml$/, '').split(path.sep).join('/');
    if (scenario.id !== expectedId) {
      problems.push({ file, ...locateNode(file, ['id'], 'id:'), path: 'id', message: `id '${scenario.id}' does not match the file's path; expected '${expectedId}'` });
    }
    for (const [index, tag] of scenario.tags.entries()) {
      if (!allowedTags.includes(tag)) {
        problems.push({ file, ...locateNode(file, ['tags', index], tag), path: `tags.${index}`, message: `unknown tag '${tag}'; allowed (from ${vocabularyFile}): ${allowedTags.join(', ')}` });
      }
    }
    const previous = seen.get(scenario.id);
    if (previous !== undefined) problems.push({ file, ...locateNode(file, ['id'], 'id:'), path: 'id', message: `duplicate id '${scenario.id}' (also in ${previous})` });
    seen.set(scenario.id, file);
    loaded.push({ scenario, file });
  }
  if (problems.length > 0) throw new DataFileError(problems);
  return loaded;
}

/**
 * Selects scenarios by a comma-separated list of ids, globs (`frozen-moving-stats/*`, `**`) or tags.
 * A term that matches nothing is a usage error naming what exists.
 */
export function selectScenarios(scenarios: readonly LoadedScenario[], selector: string | undefined): LoadedScenario[] {
  if (selector === undefined || selector.trim() === '' || selector.trim() === 'all') return [...scenarios];
  const selected = new Set<LoadedScenario>();
  for (const term of selector.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
    const isMatch = picomatch(term);
    const matches = scenarios.filter((s) => s.scenario.id === term || isMatch(s.scenario.id) || s.scenario.tags.includes(term));
    if (matches.length === 0) {
      const tags = [...new Set(scenarios.flatMap((s) => s.scenario.tags))].sort();
      throw new UsageError(`--scenario '${term}' matches no scenario id, glob or tag; ids: ${scenarios.map((s) => s.scenario.id).join(', ')}; tags: ${tags.join(', ')}`);
    }
    matches.forEach((m) => selected.add(m));
  }
  return scenarios.filter((s) => selected.has(s));
}
