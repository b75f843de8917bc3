/** One <figure> of index.html's charts section: its inline SVG, or the caption that replaces it. */
export interface ReportFigure {
  id: string;
  /** The inline <svg>…</svg>, or null when the figure holds a note instead. */
  svg: string | null;
  /** The <figcaption>'s text (tags stripped), or null. */
  caption: string | null;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The figures of index.html's `<section id="charts">`, in page order. Throws when there is no such section. */
export function reportFigures(html: string): ReportFigure[] {
  const section = /<section id="charts">([\s\S]*?)<\/section>/.exec(html);
  if (section === null) throw new Error('index.html has no <section id="charts">');
  return [...section[1].matchAll(/<figure id="([^"]*)">([\s\S]*?)<\/figure>/g)].map(([, id, body]) => {
    const svgs = body.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    if (svgs.length > 1) throw new Error(`figure ${id} holds ${svgs.length} <svg> elements`);
    const caption = /<figcaption>([\s\S]*?)<\/figcaption>/.exec(body);
    return { id: decodeEntities(id), svg: svgs[0] ?? null, caption: caption === null ? null : decodeEntities(caption[1].replace(/<[^>]*>/g, '')) };
  });
}

/** The text of every <text> element of an SVG (vega writes titles, axis labels and legends as <text>), entities decoded. */
export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map(([, text]) => decodeEntities(text.replace(/<[^>]*>/g, '')));
}

/** The scenario ids in index.html's results table, row by row (the page breaks them with <wbr>). */
export function resultTableScenarios(html: string): string[] {
  const section = /<section id="results">([\s\S]*?)<\/section>/.exec(html);
  if (section === null) throw new Error('index.html has no <section id="results">');
  return [...section[1].matchAll(/<td class="scenario">([\s\S]*?)<\/td>/g)].map(([, cell]) => decodeEntities(cell.replace(/<wbr>/g, '')));
}
