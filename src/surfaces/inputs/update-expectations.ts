import { stringify } from 'yaml';
import type { ResultRecord } from '../../results/schema';
import { appliesToTfjs, type KnownIssue } from '../../engine/expectations/known-issues';
import { BACKEND_NAMES, type BackendName } from '../../engine/backends';
import { expectedFingerprintFor, fingerprintMismatch, type Fingerprint } from '../../engine/expectations/fingerprint';
import { thrownMessage } from '../../engine/run/result-evidence';

/**
 * Known issues rewritten from a run: one entry per (scenario, invariant) that did not pass, keeping
 * the issue URL, reason and message pattern of an existing entry and listing the statuses seen.
 * Only what the run observed changes: an existing entry keeps the backends the run did not use
 * (it is never widened to all backends, and no other backend's entry is dropped); a new entry names
 * its backends only when not all of the run's backends showed it. Entries for scenarios the run did
 * not cover, and entries whose `tfjs` range leaves out the run's tfjs version, are kept as they were;
 * a rewritten entry keeps its range.
 */
export function updatedKnownIssues(all: readonly KnownIssue[], results: readonly ResultRecord[], runBackends: readonly string[], tfjsVersion?: string): KnownIssue[] {
  const otherVersions = tfjsVersion === undefined ? [] : all.filter((entry) => !appliesToTfjs(entry, tfjsVersion));
  const existing = all.filter((entry) => !otherVersions.includes(entry));
  const ran = new Set(results.map((r) => `${r.scenario}\u0000${r.backend}`));
  const coveredBackends = (entry: KnownIssue): readonly BackendName[] => entry.backend ?? BACKEND_NAMES;
  // An entry is re-derived only when the run covered it: its scenario ran on one of its backends.
  const covered = (entry: KnownIssue) => coveredBackends(entry).some((b) => ran.has(`${entry.scenario}\u0000${b}`));
  const kept = existing.filter((entry) => !covered(entry));
  const groups = new Map<string, ResultRecord[]>();
  for (const r of results) {
    if (r.status === 'pass') continue;
    const key = `${r.scenario}\u0000${r.invariant}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const fresh: KnownIssue[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    const previous = existing.find((e) => e.scenario === first.scenario && e.invariant === first.invariant);
    const failing = [...new Set(group.map((r) => r.backend))];
    // What the run did not look at stays as the entry had it.
    const untouched = previous === undefined ? [] : untouchedOf(previous, runBackends);
    let backend: BackendName[] | undefined;
    if (previous === undefined) {
      backend = runBackends.every((b) => failing.includes(b as BackendName)) ? undefined : failing;
    } else {
      const union = BACKEND_NAMES.filter((b) => failing.includes(b) || untouched.includes(b));
      backend = previous.backend === undefined && union.length === BACKEND_NAMES.length ? undefined : union;
    }
    fresh.push({
      scenario: first.scenario,
      invariant: first.invariant,
      ...(backend !== undefined ? { backend } : {}),
      issue: previous?.issue ?? 'unreported',
      reason: previous?.reason ?? first.summary,
      outcomes: [...new Set([...group.map((r) => r.status as 'fail' | 'error' | 'unsupported'), ...(previous !== undefined && untouched.length > 0 ? previous.outcomes : [])])],
      ...errorPattern(group, previous),
      ...(previous?.tfjs !== undefined ? { tfjs: previous.tfjs } : {}),
      ...summaryPattern(group, previous),
      ...fingerprintField(group, previous),
    });
  }
  // A covered entry whose run backends all passed still speaks for the backends the run did not use.
  for (const entry of existing) {
    if (!covered(entry) || groups.has(`${entry.scenario}\u0000${entry.invariant}`)) continue;
    const untouched = untouchedOf(entry, runBackends);
    if (untouched.length > 0) fresh.push({ ...entry, backend: untouched });
  }
  return [...kept, ...fresh, ...otherVersions];
}

function untouchedOf(entry: KnownIssue, runBackends: readonly string[]): BackendName[] {
  return (entry.backend ?? BACKEND_NAMES).filter((b) => !runBackends.includes(b));
}

/** The known-issues file text for a list of entries. */
export function knownIssuesYaml(entries: readonly KnownIssue[]): string {
  const header = [
    '# Known issues: no entry means "must pass". Listed results still run; a listed entry that now',
    '# passes is an unexpected pass and fails the run. Written by `bn-suite run --update-expectations`;',
    '# edit issue and reason by hand.',
  ].join('\n');
  return `${header}\n${stringify({ 'known-issues': entries }, { lineWidth: 120 })}`;
}

/** The message pattern of an entry with errors: the previous one while it still matches, else the first thrown line, escaped. */
function errorPattern(group: readonly ResultRecord[], previous: KnownIssue | undefined): { message?: string } {
  const messages = group.filter((r) => r.status === 'error').map(thrownMessage);
  if (messages.length === 0) return {};
  if (previous?.message !== undefined && messages.every((m) => new RegExp(previous.message as string).test(m))) return { message: previous.message };
  return { message: messages[0].split('\n')[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') };
}

/**
 * The summary pattern of an entry with failures: the previous one while every failure still matches
 * it; otherwise none (a failure's summary carries numbers, so a pattern is written by hand).
 */
function summaryPattern(group: readonly ResultRecord[], previous: KnownIssue | undefined): { summary?: string } {
  if (previous?.summary === undefined) return {};
  const summaries = group.filter((r) => r.status === 'fail').map((r) => r.summary);
  return summaries.every((text) => new RegExp(previous.summary as string).test(text)) ? { summary: previous.summary } : {};
}

/**
 * The fingerprint of an entry with failures: the previous one while every failure still fits it;
 * otherwise one written from the failures seen (every failing part, a band a decade wider than the
 * magnitudes seen). None when no failure carries a fingerprint.
 */
function fingerprintField(group: readonly ResultRecord[], previous: KnownIssue | undefined): { fingerprint?: KnownIssue['fingerprint'] } {
  const seen = group.filter((r) => r.status === 'fail').map((r) => r.fingerprint).filter((f): f is Fingerprint => f !== null);
  if (seen.length === 0) return {};
  const kept = previous?.fingerprint;
  if (kept !== undefined && seen.every((f) => fingerprintMismatch(f, kept) === null)) return { fingerprint: kept };
  const written = expectedFingerprintFor(seen);
  return written === null ? {} : { fingerprint: written };
}
