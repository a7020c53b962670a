import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  assertAllowedUrl,
  attachmentProblem,
  downloadAttachment,
  type AttachmentRef,
} from '../../../src/discord/attachments.ts';
import { UserFacingError } from '../../../src/discord/errors.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(56)]);
const MB = 1024 * 1024;
let server: http.Server;
let origin = '';

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/ok.png') return void res.end(PNG);
    if (req.url === '/text.png') return void res.end('<html>hello</html>');
    if (req.url === '/redirect.png') return void res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    if (req.url === '/big-declared.png') {
      res.writeHead(200, { 'content-length': String(2 * MB) });
      return void res.end(Buffer.alloc(2 * MB));
    }
    if (req.url === '/big-streamed.png') {
      // No content-length: only counting while streaming catches it.
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * MB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    if (req.url === '/slow.png') return void setTimeout(() => res.end(PNG), 2_000);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const ref = (name: string, size = 64, contentType: string | null = 'image/png'): AttachmentRef => ({
  url: `${origin}/${name}`,
  name,
  size,
  contentType,
});
const limits = () => ({ maxBytes: MB, timeoutMs: 500, testOrigin: origin });

test('non-images and oversized files are refused from their metadata alone', () => {
  assert.match(attachmentProblem(ref('notes.txt', 10, 'text/plain'), limits())!, /doesn't look like a picture/);
  assert.match(
    attachmentProblem(ref('huge.png', 5 * MB), limits())!,
    /5 MB, a bit too big for me \(the limit is 1 MB\)/,
  );
  assert.equal(attachmentProblem(ref('shot.jpg', 10, null), limits()), undefined, 'an image extension is enough');
  assert.equal(attachmentProblem(ref('shot.png', MB), limits()), undefined);
});

test("only Discord's CDN over https, or the explicit test origin, may be fetched", () => {
  assertAllowedUrl('https://cdn.discordapp.com/attachments/1/2/a.png', {});
  assertAllowedUrl('https://media.discordapp.net/attachments/1/2/a.png?width=100', {});
  for (const url of [
    'http://cdn.discordapp.com/attachments/1/2/a.png',
    'https://cdn.discordapp.com:8443/a.png',
    'https://cdn.discordapp.com.evil.example/a.png',
    'https://evil.example/a.png',
    'http://169.254.169.254/latest/meta-data',
    `${origin}/ok.png`,
    'file:///etc/passwd',
    'not a url',
  ]) {
    assert.throws(() => assertAllowedUrl(url, {}), UserFacingError, url);
  }
  assert.equal(assertAllowedUrl(`${origin}/ok.png`, { testOrigin: origin }).pathname, '/ok.png');
});

test('downloads an image from the allowed origin', async () => {
  assert.deepEqual(await downloadAttachment(ref('ok.png'), limits()), PNG);
});

test('refuses what turns out not to be an image, redirects, size overruns and slow servers', async () => {
  await assert.rejects(downloadAttachment(ref('text.png'), limits()), /doesn't look like a picture I can read/);
  await assert.rejects(downloadAttachment(ref('redirect.png'), limits()), /couldn't download/);
  await assert.rejects(downloadAttachment(ref('big-declared.png'), limits()), /bigger than 1 MB/);
  await assert.rejects(downloadAttachment(ref('big-streamed.png'), limits()), /bigger than 1 MB/);
  await assert.rejects(downloadAttachment(ref('slow.png'), limits()), /took too long/);
  await assert.rejects(
    downloadAttachment({ ...ref('ok.png'), url: 'https://example.com/ok.png' }, limits()),
    /only read pictures uploaded to Discord/,
  );
});
