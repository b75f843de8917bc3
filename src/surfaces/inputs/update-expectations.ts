import { stringify } from 'yaml';
import type { ResultRecord } from '../../results/schema';
import type { KnownIssue } from '../../engine/expectations/known-issues';

/**
 * Known issues rewritten from a run: one entry per (scenario, invariant) that did not pass, keeping
 * the issue URL and reason of an existing entry, naming the backends only when not all of the run's
 * backends showed it, and listing the statuses seen. Entries for scenarios the run did not cover are
 * kept as they were.
 */
export function updatedKnownIssues(existing: readonly KnownIssue[], results: readonly ResultRecord[], runBackends: readonly string[]): KnownIssue[] {
  // An entry is re-derived only when the run covered it: its scenario ran on one of its backends.
  const ran = new Set(results.map((r) => `${r.scenario}\u0000${r.backend}`));
  const kept = existing.filter((entry) => !(entry.backend ?? runBackends).some((b) => ran.has(`${entry.scenario}\u0000${b}`)));
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
    const backends = [...new Set(group.map((r) => r.backend))];
    const allBackends = runBackends.every((b) => backends.includes(b as ResultRecord['backend']));
    fresh.push({
      scenario: first.scenario,
      invariant: first.invariant,
      ...(allBackends ? {} : { backend: backends }),
      issue: previous?.issue ?? 'unreported',
      reason: previous?.reason ?? first.summary,
      outcomes: [...new Set(group.map((r) => r.status as 'fail' | 'error' | 'unsupported'))],
      ...errorPattern(group, previous),
    });
  }
  return [...kept, ...fresh];
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
  const messages = group.filter((r) => r.status === 'error').map((r) => (typeof r.evidence.message === 'string' ? r.evidence.message : r.summary));
  if (messages.length === 0) return {};
  if (previous?.message !== undefined && messages.every((m) => new RegExp(previous.message as string).test(m))) return { message: previous.message };
  return { message: messages[0].split('\n')[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') };
}
