/**
 * Dev script: renders a report folder's index.html to a PNG in headless Chromium, to look at the
 * page without a browser at hand.
 *
 *   node dist/surfaces/report/screenshot.js <report-dir> [out.png] [--height N] [--width N]
 *
 * Needs /usr/bin/chromium (or $CHROMIUM): `apt-get install chromium`. Nothing loads from the
 * network: the page is self-contained and Chromium runs with its background networking off.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const DEFAULT_WIDTH = 1400;
/** Chromium cannot capture taller than its maximum texture size. */
const MAX_HEIGHT = 16_000;

interface Options {
  reportDir: string;
  out: string;
  width: number;
  height: number | undefined;
}

function usage(message: string): never {
  process.stderr.write(`screenshot: ${message}\nusage: node dist/surfaces/report/screenshot.js <report-dir> [out.png] [--height N] [--width N]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const positional: string[] = [];
  let width = DEFAULT_WIDTH;
  let height: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--height' || arg === '--width') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 100) usage(`${arg} needs an integer >= 100`);
      if (arg === '--height') height = value;
      else width = value;
    } else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length < 1 || positional.length > 2) usage('expected a report folder and an optional output file');
  const reportDir = path.resolve(positional[0]);
  return { reportDir, out: path.resolve(positional[1] ?? path.join(reportDir, 'index.png')), width, height };
}

/**
 * A window height that fits the whole page (Chromium's --screenshot captures the window only):
 * the SVG charts' heights plus an allowance per table row and for the fixed parts.
 */
export function estimatePageHeight(html: string, width: number): number {
  // The page's main column is at most 1320 px wide with 36 px padding; wider SVGs scale down.
  const available = Math.min(width, 1320) - 72;
  let svgHeight = 0;
  for (const m of html.matchAll(/<svg\b[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/g)) {
    const [w, h] = [Number(m[1]), Number(m[2])];
    svgHeight += w > available ? (h * available) / w : h;
  }
  const rows = (html.match(/<tr\b/g) ?? []).length;
  // Long summaries wrap in the results table: count their characters too.
  const summaryChars = [...html.matchAll(/<td class="summary">([^<]*)<\/td>/g)].reduce((n, m) => n + m[1].length, 0);
  const notes = (html.match(/<figcaption>/g) ?? []).length;
  const attention = (html.match(/<li>/g) ?? []).length;
  const estimate = 900 + svgHeight + rows * 40 + (summaryChars / 35) * 19 + notes * 70 + attention * 50;
  return Math.min(MAX_HEIGHT, Math.ceil(estimate / 100) * 100);
}

/** A decoded 8-bit RGB(A) PNG: enough to find where the page's content ends. */
interface Png {
  width: number;
  height: number;
  channels: number;
  /** Unfiltered scanlines, `width * channels` bytes each. */
  rows: Buffer[];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes the non-interlaced 8-bit RGB / RGBA PNGs Chromium writes; undefined for anything else. */
export function decodePng(file: Buffer): Png | undefined {
  if (file.length < 33 || file.readUInt32BE(0) !== 0x89504e47) return undefined;
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset + 8 <= file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colorType, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (colorType !== 2 && colorType !== 6)) return undefined;
      channels = colorType === 2 ? 3 : 4;
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const rows: Buffer[] = [];
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    const filter = raw[start];
    const row = Buffer.from(raw.subarray(start + 1, start + 1 + stride));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? row[x - channels] : 0;
      const up = previous[x];
      const upLeft = x >= channels ? previous[x - channels] : 0;
      if (filter === 1) row[x] = (row[x] + left) & 0xff;
      else if (filter === 2) row[x] = (row[x] + up) & 0xff;
      else if (filter === 3) row[x] = (row[x] + ((left + up) >> 1)) & 0xff;
      else if (filter === 4) row[x] = (row[x] + paeth(left, up, upLeft)) & 0xff;
    }
    rows.push(row);
    previous = row;
  }
  return { width, height, channels, rows };
}

/** Index of the last scanline with a non-white pixel, -1 when the image is blank. */
export function lastContentRow(png: Png): number {
  for (let y = png.height - 1; y >= 0; y--) {
    const row = png.rows[y];
    for (let x = 0; x < row.length; x += png.channels) {
      if (row[x] < 245 || row[x + 1] < 245 || row[x + 2] < 245) return y;
    }
  }
  return -1;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes the first `height` rows of a decoded PNG (filter 0: simple, and small enough for screenshots). */
export function encodePng(png: Png, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(png.width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = png.channels === 3 ? 2 : 6;
  const raw = Buffer.concat(png.rows.slice(0, height).flatMap((row) => [Buffer.from([0]), row]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function capture(chromium: string, page: string, out: string, width: number, height: number): void {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-chromium-'));
  fs.rmSync(out, { force: true });
  try {
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${out}`,
      `--window-size=${width},${height}`,
      pathToFileURL(page).href,
    ];
    const child = spawnSync(chromium, args, { encoding: 'utf8', timeout: 120_000 });
    if (child.error !== undefined) {
      process.stderr.write(`screenshot: could not run ${chromium}: ${child.error.message}\n`);
      process.exit(3);
    }
    if (child.status !== 0 || !fs.existsSync(out)) {
      process.stderr.write(`screenshot: chromium exited with ${child.status ?? child.signal}\n${child.stderr}\n`);
      process.exit(3);
    }
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** White rows kept below the content when the capture is cropped. */
const BOTTOM_MARGIN = 40;
/**
 * Fewer white rows than this at the bottom means the window cut the page: the page ends with 56 px
 * of padding below the footer, and no white band inside it is that tall across the whole width.
 */
const CUT_THRESHOLD = 52;

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const page = path.join(options.reportDir, 'index.html');
  if (!fs.existsSync(page)) usage(`${page} does not exist (run \`bn-suite run --out ${options.reportDir}\` first)`);
  const chromium = process.env.CHROMIUM ?? DEFAULT_CHROMIUM;
  if (!fs.existsSync(chromium)) {
    process.stderr.write(`screenshot: Chromium not found at ${chromium}; install it: apt-get install chromium (or set CHROMIUM=/path/to/chromium)\n`);
    process.exit(3);
  }
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  let height = options.height ?? estimatePageHeight(fs.readFileSync(page, 'utf8'), options.width);
  // The window must hold the whole page: when content reaches the bottom edge, try taller; then
  // crop the white space below the content.
  for (;;) {
    capture(chromium, page, options.out, options.width, height);
    const png = decodePng(fs.readFileSync(options.out));
    if (png === undefined) break;
    const last = lastContentRow(png);
    const cut = last >= png.height - CUT_THRESHOLD;
    if (cut && options.height === undefined && height < MAX_HEIGHT) {
      height = Math.min(MAX_HEIGHT, Math.ceil((height * 1.5) / 100) * 100);
      continue;
    }
    if (cut) process.stderr.write(`screenshot: the page is taller than ${height} px; the capture is cut at the bottom\n`);
    else if (options.height === undefined && last >= 0) {
      height = last + 1 + BOTTOM_MARGIN;
      fs.writeFileSync(options.out, encodePng(png, height));
    }
    break;
  }
  process.stdout.write(`wrote ${options.out} (${options.width}x${height})\n`);
}

if (require.main === module) main();
