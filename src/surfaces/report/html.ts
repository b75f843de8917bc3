import { CONTRACTS } from '../../engine/contracts/contracts';
import type { ResultRecord, SuiteResult } from '../../results/schema';
import {
  accuracyRows,
  accuracyScale,
  CATEGORY_COLORS,
  CATEGORY_TEXT_COLORS,
  reportCharts,
  VERDICT_CATEGORIES,
  verdictCategory,
  type AccuracyRow,
  type VegaLiteSpec,
  type VerdictCategory,
} from './charts';

/**
 * `index.html`: one self-contained page for a run. No script, no network: the charts are rendered
 * here to inline SVG with vega (server side), styles are inline, and every string that comes from
 * the results is escaped.
 */

/** Characters HTML does not want in text (C0/C1 controls except tab/LF/CR, lone surrogates, noncharacters). */
const UNWANTED_HTML_CHARS = /[^\t\n\r\u0020-\u007E\u00A0-\uD7FF\uE000-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes any value for HTML text or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(UNWANTED_HTML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A chart of the page: its SVG when it rendered, else a sentence saying why there is none. */
export interface ChartFigure {
  id: string;
  title: string;
  svg: string | null;
  note: string;
}

type SvgRenderer = (spec: VegaLiteSpec) => Promise<string>;

/** Advance widths of printable ASCII (U+0020..U+007E) in Helvetica / Arial, in 1/1000 em (Adobe AFM). */
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
  611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222,
  833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/**
 * Text width for vega's layout without a canvas. Vega's own estimate (0.8 em per character) is far
 * too wide for Helvetica/Arial, which truncates axis labels early and leaves gaps; the charts use
 * Helvetica/Arial (metric-compatible Nimbus Sans / Liberation Sans on Linux), so their AFM widths
 * give layouts that match what a browser draws. The width never exceeds the item's label limit:
 * vega truncates such text to fit it.
 */
export function textWidth(item: { fontSize?: unknown; fontWeight?: unknown; limit?: unknown }, text: unknown): number {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const value = text == null ? '' : (Array.isArray(text) ? text.join(' ') : String(text)).trim();
  let units = 0;
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    units += code >= 0x20 && code <= 0x7e ? HELVETICA_WIDTHS[code - 0x20] : 600;
  }
  const weight = item.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600);
  // 4% margin for hinting and for the fallback font being a little wider.
  const width = (units / 1000) * size * (bold ? 1.1 : 1.04);
  const limit = Number(item.limit);
  return limit > 0 ? Math.min(width, limit) : width;
}

let rendererPromise: Promise<SvgRenderer> | undefined;

/**
 * Loads vega and vega-lite (ESM only, with top-level await) through a real dynamic import — tsc
 * keeps `import()` as is in this CommonJS module (module node16) — once per process.
 */
function loadRenderer(): Promise<SvgRenderer> {
  rendererPromise ??= (async () => {
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    // Vega's documented hook for custom text measurement (vl-convert does the same).
    // (exported by vega from vega-scenegraph, absent from vega's typings).
    const metrics = (vega as unknown as { textMetrics?: { width: (item: object, text: unknown) => number } }).textMetrics;
    if (metrics !== undefined) metrics.width = textWidth;
    return async (spec: VegaLiteSpec): Promise<string> => {
      // Warnings must not reach stdout/stderr: `bn-suite run --json` keeps stdout machine-readable.
      const logger = vega.logger(vega.None);
      const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0], { logger }).spec;
      const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.None });
      try {
        return await view.toSVG();
      } finally {
        view.finalize();
      }
    };
  })();
  rendererPromise.catch(() => {
    rendererPromise = undefined;
  });
  return rendererPromise;
}

/** Inline SVG for an HTML page: the HTML parser supplies the namespaces, so the xmlns URLs go. */
function inlineSvg(svg: string, label: string): string {
  return svg.replace(/^<svg\b([^>]*)>/, (_, attributes: string) => {
    const kept = attributes.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
    return `<svg${kept} role="img" aria-label="${escapeHtml(label)}">`;
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** Renders every chart of the run; a chart that cannot render becomes a note, never a lost report. */
export async function renderCharts(suite: SuiteResult): Promise<ChartFigure[]> {
  const specs = reportCharts(suite);
  const wanted: Array<{ id: string; title: string; spec: VegaLiteSpec | null; absent: string }> = [
    { id: 'chart-parity', title: 'Backend parity', spec: specs.parity, absent: '' },
    {
      id: 'chart-drift',
      title: 'Moving-statistic drift',
      spec: specs.drift,
      absent: 'No result in this run records moving-statistic drift per BN layer (evidence.drift), so there is no drift chart. The MNIST transfer scenarios record it.',
    },
    {
      id: 'chart-layer-drift',
      title: 'Drift per BN layer',
      spec: specs.layerDrift,
      absent: 'No result in this run records moving-statistic drift per BN layer (evidence.drift), so there is no per-layer drift chart. The MNIST transfer scenarios record it.',
    },
    {
      id: 'chart-accuracy',
      title: 'Training-mode vs inference-mode accuracy',
      spec: specs.accuracy,
      absent: 'No result in this run records per-epoch accuracies by BN mode (evidence.variants), so there is no accuracy chart. The MNIST transfer scenarios record them.',
    },
  ];
  let render: SvgRenderer | undefined;
  let loadError: string | undefined;
  if (wanted.some((w) => w.spec !== null)) {
    try {
      render = await loadRenderer();
    } catch (error) {
      loadError = errorMessage(error);
    }
  }
  const figures: ChartFigure[] = [];
  for (const w of wanted) {
    if (w.spec === null) {
      figures.push({ id: w.id, title: w.title, svg: null, note: w.absent });
      continue;
    }
    if (render === undefined) {
      figures.push({ id: w.id, title: w.title, svg: null, note: `Chart not rendered: vega could not be loaded (${loadError}). The tables hold the same data.` });
      continue;
    }
    try {
      figures.push({ id: w.id, title: w.title, svg: inlineSvg(await render(w.spec), w.title), note: '' });
    } catch (error) {
      figures.push({ id: w.id, title: w.title, svg: null, note: `Chart not rendered: ${errorMessage(error)}. The tables hold the same data.` });
    }
  }
  return figures;
}

/** The whole page for a run, charts rendered to inline SVG. */
export async function renderHtmlReport(suite: SuiteResult): Promise<string> {
  return htmlPage(suite, await renderCharts(suite));
}

// ---------------------------------------------------------------------------------------------
// The page (pure: everything below builds strings from data already at hand)

const OUTCOME_TEXT: Record<ResultRecord['outcome'], string> = {
  pass: 'pass',
  'expected-fail': 'expected failure',
  'unexpected-fail': 'UNEXPECTED FAILURE',
  'unexpected-pass': 'UNEXPECTED PASS',
  'not-observable': 'not observable in this run',
};

function pill(category: VerdictCategory, text: string): string {
  return `<span class="pill" style="background:${CATEGORY_COLORS[category]};color:${CATEGORY_TEXT_COLORS[category]}">${escapeHtml(text)}</span>`;
}

/** A link for an http(s) URL (href escaped), plain text for anything else ("unreported"). */
function issueLink(issue: string | null): string {
  if (issue === null) return '';
  if (!/^https?:\/\//i.test(issue)) return `<span class="muted">${escapeHtml(issue)}</span>`;
  const github = /^https:\/\/github\.com\/[^/]+\/([^/]+)\/(?:issues|pull)\/(\d+)/.exec(issue);
  const text = github !== null ? `${github[1]}#${github[2]}` : issue;
  return `<a href="${escapeHtml(issue)}">${escapeHtml(text)}</a>`;
}

function formatDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return match !== null ? `${match[1]} ${match[2]} UTC` : iso;
}

function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function headerSection(suite: SuiteResult): string {
  const s = suite.summary;
  const backendVersions = (['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'] as const)
    .filter((name) => suite.tfjs[name] !== undefined)
    .map((name) => `${name.replace('@tensorflow/', '')} ${suite.tfjs[name]}`);
  const facts: Array<[string, string]> = [
    ['bn-suite', suite.tool.version],
    ['tfjs-core', suite.tfjs['@tensorflow/tfjs-core']],
    ['tfjs-layers', suite.tfjs['@tensorflow/tfjs-layers']],
    ['backend packages', backendVersions.join(', ') || 'none'],
    ['Node', `${suite.node} (${suite.platform})`],
    ['seed', String(suite.seed)],
    ['runs', `${suite.runs} cases per property scenario`],
    ...(suite.shard !== null ? ([['shard', `${suite.shard.index}/${suite.shard.count}`]] as Array<[string, string]>) : []),
    ['started', formatDate(suite.startedAt)],
    ['duration', formatDuration(suite.durationMs)],
  ];
  const verdict = s.asExpected
    ? `<span class="banner ok">As expected</span>`
    : `<span class="banner bad">UNEXPECTED RESULTS</span>`;
  return [
    '<header>',
    `<h1>bn-suite report ${verdict}</h1>`,
    '<p class="lede">Batch-normalization semantics of TensorFlow.js: frozen BN, moving statistics, mode switches, on every backend.</p>',
    `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`,
    '</header>',
  ].join('\n');
}

function summarySection(suite: SuiteResult): string {
  const s = suite.summary;
  const card = (value: number, label: string, category: VerdictCategory | null, emphasize = false) =>
    `<div class="card${emphasize && value > 0 ? ' alert' : ''}"${category !== null ? ` style="border-top-color:${CATEGORY_COLORS[category]}"` : ''}><div class="num">${value}</div><div class="lbl">${escapeHtml(label)}</div></div>`;
  const cards = [
    card(s.results, 'results', null),
    card(s.casesRun, 'cases run', null),
    card(s.byOutcome.pass, 'pass', 'pass'),
    card(s.byOutcome['expected-fail'], 'expected failures', 'expected failure'),
    card(s.byOutcome['unexpected-fail'], 'unexpected failures', 'unexpected failure', true),
    card(s.byOutcome['unexpected-pass'], 'unexpected passes', 'unexpected pass', true),
    card(s.stale, 'stale known issues', 'unexpected failure', true),
  ];
  const byStatus = `Verdicts: ${s.byStatus.pass} pass, ${s.byStatus.fail} fail, ${s.byStatus.error} error, ${s.byStatus.unsupported} unsupported. Expected failures are non-passes listed in the known-issues file; anything unexpected, and any stale entry, fails the run (exit 1).`;
  const parts = ['<section id="summary">', '<h2>Summary</h2>', `<div class="cards">${cards.join('')}</div>`, `<p>${escapeHtml(byStatus)}</p>`];
  const attention = suite.results.filter((r) => r.outcome === 'unexpected-fail' || r.outcome === 'unexpected-pass');
  if (attention.length > 0 || suite.stale.length > 0) {
    parts.push('<div class="attention">', '<h3>Needs attention</h3>', '<ul>');
    for (const r of attention) {
      parts.push(
        `<li>${pill(verdictCategory(r), OUTCOME_TEXT[r.outcome])} <strong>${escapeHtml(r.scenario)}</strong> [${escapeHtml(r.invariant)}] @ ${escapeHtml(r.backend)}: ${escapeHtml(r.status)}${r.summary !== '' ? ` — ${escapeHtml(r.summary)}` : ''}<br><code class="token">${escapeHtml(r.replay)}</code></li>`,
      );
    }
    for (const e of suite.stale) {
      parts.push(`<li>${pill('unexpected failure', 'STALE')} known issue <strong>${escapeHtml(e.scenario)}</strong> [${escapeHtml(e.invariant)}]${e.backend ? ` (${escapeHtml(e.backend.join(', '))})` : ''} matched no result: ${escapeHtml(e.reason)} ${issueLink(e.issue)}</li>`);
    }
    parts.push('</ul>', '</div>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function backendsSection(suite: SuiteResult): string {
  const rows = suite.backends.map((b) => {
    const ran = suite.results.filter((r) => r.backend === b.name).length;
    const availability = b.available ? pill('pass', 'available') : pill('unsupported', 'unavailable');
    const note = b.available ? (ran > 0 ? `${ran} results` : 'not selected for this run') : `${b.kind}: ${b.reason}`;
    return `<tr><td><strong>${escapeHtml(b.name)}</strong></td><td><code>${escapeHtml(b.packageName)}</code></td><td>${escapeHtml(b.version ?? '—')}</td><td>${availability}</td><td>${escapeHtml(note)}</td></tr>`;
  });
  return [
    '<section id="backends">',
    '<h2>Backends</h2>',
    '<table class="compact"><thead><tr><th>backend</th><th>package</th><th>version</th><th>availability</th><th>results / reason</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
    '</section>',
  ].join('\n');
}

function conformanceSection(suite: SuiteResult): string {
  const c = suite.conformance;
  const best = new Set(c.bestMatches);
  const head = CONTRACTS.map((k) => `<th class="center${best.has(k.id) ? ' best' : ''}">${escapeHtml(k.id)}${best.has(k.id) ? ' ★' : ''}</th>`).join('');
  const rows = c.rows.map((row) => {
    const cells = CONTRACTS.map((k) => {
      const m = row.matches[k.id];
      if (m === null || m === undefined) return '<td class="center muted">–</td>';
      return m ? '<td class="center yes">yes</td>' : '<td class="center no">no</td>';
    }).join('');
    const observed = row.observed === 'holds' ? pill('pass', 'holds') : row.observed === 'violated' ? pill('expected failure', 'violated') : pill('unsupported', 'not observed');
    return `<tr><td><strong>${escapeHtml(row.invariant)}</strong><div class="small muted">${escapeHtml(row.scenarios.join(', ') || 'no deciding scenario')}</div></td><td>${observed}</td>${cells}</tr>`;
  });
  const scores = CONTRACTS.map((k) => {
    const score = c.scores.find((s) => s.contract === k.id);
    return `<td class="center${best.has(k.id) ? ' best' : ''}">${score !== undefined ? `${score.matched}/${score.observed}` : '–'}</td>`;
  }).join('');
  const bestText = c.bestMatches.length > 0 ? c.bestMatches.map((id) => `${id} (${CONTRACTS.find((k) => k.id === id)?.title ?? id})`).join(', ') : 'none observed';
  return [
    '<section id="conformance">',
    '<h2>Conformance with frozen-BN contracts</h2>',
    '<p>For each BN-semantics invariant: what this run observed (from scenarios tagged contract; pass/fail verdicts only), and whether each framework\'s rules for a frozen BN predict the same.</p>',
    `<table class="conformance"><thead><tr><th>invariant</th><th>observed</th>${head}</tr></thead>`,
    `<tbody>${rows.join('\n')}</tbody>`,
    `<tfoot><tr><th colspan="2">matched / observed</th>${scores}</tr></tfoot></table>`,
    `<p>Closest contract: <strong>${escapeHtml(bestText)}</strong>.</p>`,
    `<p class="small muted">${CONTRACTS.map((k) => `<strong>${escapeHtml(k.id)}</strong>: ${escapeHtml(k.title)}`).join(' · ')}</p>`,
    '</section>',
  ].join('\n');
}

function formatAccuracy(value: number, scale: 'fraction' | 'percent'): string {
  if (!Number.isFinite(value)) return '—';
  return scale === 'fraction' ? `${(value * 100).toFixed(1)}%` : `${value.toFixed(1)}%`;
}

function formatGap(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${value.toFixed(1)} pts`;
}

function accuracySection(rows: readonly AccuracyRow[]): string {
  if (rows.length === 0) return '';
  const scale = accuracyScale(rows);
  const body = rows.map(
    (r) =>
      `<tr><td>${escapeHtml(r.scenario)}</td><td>${escapeHtml(r.backend)}</td><td>${escapeHtml(r.variant)}${r.asserted ? ' <span class="small muted">(asserted)</span>' : ''}</td><td class="num">${formatAccuracy(r.final.trainingModeAccuracy, scale)}</td><td class="num">${formatAccuracy(r.final.inferenceModeAccuracy, scale)}</td><td class="num">${formatGap(r.final.gapPoints)}</td><td class="num">${r.curves.epochs?.at(-1) ?? r.curves.trainingModeAccuracy.length}</td></tr>`,
  );
  return [
    '<section id="mnist">',
    '<h2>MNIST transfer: accuracy by BN mode</h2>',
    '<p>Accuracy on the same data with the BN layers in training mode and in inference mode, after the last epoch, and the gap between them in percentage points as the scenario recorded it.</p>',
    '<table class="compact"><thead><tr><th>scenario</th><th>backend</th><th>variant</th><th class="num">training-mode acc.</th><th class="num">inference-mode acc.</th><th class="num">gap</th><th class="num">epochs</th></tr></thead>',
    `<tbody>${body.join('\n')}</tbody></table>`,
    '</section>',
  ].join('\n');
}

function chartsSection(figures: readonly ChartFigure[]): string {
  const parts = ['<section id="charts">', '<h2>Charts</h2>'];
  for (const f of figures) {
    parts.push(`<figure id="${escapeHtml(f.id)}">`);
    if (f.svg !== null) parts.push(`<div class="chart">${f.svg}</div>`);
    else parts.push(`<figcaption><strong>${escapeHtml(f.title)}</strong>: ${escapeHtml(f.note)}</figcaption>`);
    parts.push('</figure>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Escaped text with line-break opportunities after each '/', for long scenario ids. */
function breakable(text: string): string {
  return escapeHtml(text).replace(/\//g, '/<wbr>');
}

function resultsSection(suite: SuiteResult): string {
  const backendOrder = suite.backends.map((b) => b.name as string);
  const rank = (b: string) => (backendOrder.includes(b) ? backendOrder.indexOf(b) : backendOrder.length);
  const sorted = [...suite.results].sort((a, b) => a.scenario.localeCompare(b.scenario) || a.invariant.localeCompare(b.invariant) || rank(a.backend) - rank(b.backend));
  const rows = sorted.map((r) => {
    const category = verdictCategory(r);
    const rowClass = category === 'unexpected failure' || category === 'unexpected pass' ? ' class="unexpected"' : '';
    return `<tr${rowClass}><td class="scenario">${breakable(r.scenario)}</td><td>${escapeHtml(r.invariant)}</td><td>${escapeHtml(r.backend)}</td><td>${pill(category, r.status)}</td><td>${escapeHtml(OUTCOME_TEXT[r.outcome])}</td><td>${issueLink(r.issue)}</td><td class="summary">${escapeHtml(r.summary)}</td><td><code class="token">${escapeHtml(r.replay)}</code></td></tr>`;
  });
  const legend = VERDICT_CATEGORIES.map((c) => pill(c, c)).join(' ');
  return [
    '<section id="results">',
    `<h2>Results (${suite.results.length})</h2>`,
    `<p class="legend">${legend}</p>`,
    '<table class="results"><colgroup><col style="width:17%"><col style="width:11%"><col style="width:6%"><col style="width:8.5%"><col style="width:8.5%"><col style="width:7.5%"><col style="width:23.5%"><col style="width:18%"></colgroup><thead><tr><th>scenario</th><th>invariant</th><th>backend</th><th>verdict</th><th>outcome</th><th>issue</th><th>summary</th><th>replay token</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
    '</section>',
  ].join('\n');
}

const CSS = `
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#fff;color:#1b1b1b;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1320px;margin:0 auto;padding:28px 36px 56px}
h1{font-size:28px;margin:0 0 4px;display:flex;align-items:center;gap:14px;flex-wrap:wrap}
h2{font-size:20px;margin:36px 0 12px;padding-bottom:5px;border-bottom:2px solid #e4e4e4}
h3{font-size:16px;margin:0 0 8px}
p{margin:8px 0;max-width:100ch}
a{color:#0b57d0}
.lede{color:#444;margin:0 0 14px}
.banner{font-size:14px;font-weight:700;padding:3px 12px;border-radius:14px;letter-spacing:.02em}
.banner.ok{background:#e6f4ea;color:#1e5e23;border:1px solid #2e7d32}
.banner.bad{background:#fdecea;color:#a31515;border:1px solid #c62828}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:6px 18px;margin:0;padding:12px 16px;background:#f7f7f8;border:1px solid #e6e6e6;border-radius:8px}
.facts div{min-width:0}.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#666}.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
nav{margin:14px 0 0;font-size:13px}nav a{margin-right:14px;text-decoration:none}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 10px}
.card{min-width:128px;padding:8px 14px 10px;border:1px solid #e2e2e2;border-top:4px solid #607d8b;border-radius:6px;background:#fff}
.card .num{font-size:24px;font-weight:700;line-height:1.2}.card .lbl{font-size:12px;color:#555}
.card.alert{background:#fdecea}
.attention{border:1px solid #c62828;background:#fff6f5;border-radius:8px;padding:12px 16px;margin:14px 0}
.attention ul{margin:0;padding-left:18px}.attention li{margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e6e6e6}
thead th{background:#f2f3f5;font-weight:600;border-bottom:2px solid #d5d7db;position:sticky;top:0}
tfoot th,tfoot td{background:#f7f7f8;font-weight:600;border-top:2px solid #d5d7db}
tbody tr:nth-child(even){background:#fafafa}
table.compact{width:auto;min-width:60%}
.center{text-align:center}.num{text-align:right;font-variant-numeric:tabular-nums}
.conformance td.yes{color:#1e5e23;background:#e6f4ea;font-weight:600}
.conformance td.no{color:#a31515;background:#fdecea;font-weight:600}
.conformance thead th.center{white-space:nowrap;width:9%}
.conformance th.best{background:#e6f4ea}.conformance td.best{background:#e6f4ea}
.results{table-layout:fixed}
.results td{overflow-wrap:break-word}
.results .token{overflow-wrap:anywhere;word-break:break-all}
.results td.scenario{font-weight:600}
.results tr.unexpected td{background:#fdecea}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
.token{word-break:break-all;color:#444}
.results .token{font-size:11px}
.small{font-size:12px}.muted{color:#6b6b6b}
.legend .pill{margin-right:4px}
figure{margin:18px 0 30px}
figcaption{padding:10px 14px;background:#f7f7f8;border:1px dashed #cfcfcf;border-radius:6px;color:#444}
.chart{overflow-x:auto}
.chart svg{display:block;max-width:100%;height:auto}
footer{margin-top:40px;font-size:12px;color:#666}
@page{size:A4 landscape;margin:12mm}
@media print{
  body{font-size:11px}
  table{font-size:10px}
  code,.results .token{font-size:9px}
  .pill{font-size:9.5px;padding:0 5px}
  main{max-width:none;padding:0}
  nav{display:none}
  h2{break-after:avoid}
  tr,figure,.card,.attention{break-inside:avoid}
  thead th{position:static}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
  .chart{overflow:visible}
  /* A chart is shrunk to fit one landscape page, so it is never split. */
  .chart svg{max-height:170mm;width:auto;max-width:100%}
  section > h2 + p, section > h2 + figure{break-before:avoid}
}
`;

/** The page from a run and its already rendered charts. Pure. */
export function htmlPage(suite: SuiteResult, figures: readonly ChartFigure[]): string {
  const rows = accuracyRows(suite);
  const nav = [
    ['#summary', 'Summary'],
    ['#backends', 'Backends'],
    ['#conformance', 'Conformance'],
    ...(rows.length > 0 ? [['#mnist', 'MNIST accuracy']] : []),
    ['#charts', 'Charts'],
    ['#results', 'Results'],
  ]
    .map(([href, text]) => `<a href="${href}">${text}</a>`)
    .join('');
  const title = `bn-suite report — tfjs ${suite.tfjs['@tensorflow/tfjs-core']} — ${formatDate(suite.startedAt)}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    headerSection(suite),
    `<nav>${nav}</nav>`,
    summarySection(suite),
    backendsSection(suite),
    conformanceSection(suite),
    accuracySection(rows),
    chartsSection(figures),
    resultsSection(suite),
    `<footer>Generated by bn-suite ${escapeHtml(suite.tool.version)} from results.json (the master record of this run); summary.md and junit.xml are derived from it too.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
