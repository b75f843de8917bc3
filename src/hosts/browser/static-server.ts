/**
 * The browser host's web server: listens on 127.0.0.1 on a random port and serves a fixed list of
 * files, nothing else (no directory listing, no path from the request reaches the file system).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One thing the server serves: a file on disk or text held in memory. */
export type Served = { file: string } | { text: string };

/** A running server. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

function contentType(urlPath: string): string {
  if (urlPath.endsWith('.html')) return 'text/html; charset=utf-8';
  if (urlPath.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (urlPath.endsWith('.wasm')) return 'application/wasm';
  if (urlPath.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

/** Starts a server for `routes` (URL path, e.g. `/index.html`, to what is served there). */
export async function startStaticServer(routes: ReadonlyMap<string, Served>): Promise<StaticServer> {
  const server = http.createServer((request, response) => {
    const urlPath = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const served = routes.get(urlPath === '/' ? '/index.html' : urlPath);
    if (request.method !== 'GET' || served === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.setHeader('content-type', contentType(urlPath));
    response.setHeader('cache-control', 'no-store');
    if ('text' in served) {
      response.end(served.text);
      return;
    }
    fs.createReadStream(served.file)
      .on('error', () => response.writeHead(500).end())
      .pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
