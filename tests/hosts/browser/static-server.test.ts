import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStaticServer } from '../../../src/hosts/browser/static-server';

describe('startStaticServer', () => {
  test('serves exactly its routes on 127.0.0.1, nothing from the path of a request', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bn-suite-static-'));
    fs.writeFileSync(path.join(dir, 'a.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    const server = await startStaticServer(new Map([['/a.js', { file: path.join(dir, 'a.js') }], ['/index.html', { text: '<p>hi</p>' }]]));
    try {
      expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const a = await fetch(`${server.origin}/a.js`);
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toContain('text/javascript');
      expect(await a.text()).toBe('console.log(1)');
      expect(await (await fetch(`${server.origin}/`)).text()).toBe('<p>hi</p>');
      for (const probe of ['/secret.txt', '/../secret.txt', `/${encodeURIComponent(path.join(dir, 'secret.txt'))}`]) {
        expect((await fetch(`${server.origin}${probe}`)).status).toBe(404);
      }
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
