/**
 * The bot fetches nothing but Discord's CDN: only https on cdn.discordapp.com / media.discordapp.net
 * (or, in tests, the one loopback origin named by IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN); no
 * redirects followed; the size cap enforced while streaming, whatever Content-Length says; a
 * timeout on slow servers. Every server here listens on 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadBotSettings, SettingsError } from '../../src/config.ts';
import {
  assertAllowedUrl,
  downloadAttachment,
  type AttachmentLimits,
  type AttachmentRef,
} from '../../src/discord/attachments.ts';
import { UserFacingError } from '../../src/discord/errors.ts';

const MB = 1024 * 1024;
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const PNG = Buffer.concat([PNG_HEAD, Buffer.alloc(200)]);

/** A raw TCP server, for responses Node's http server refuses to send (lying Content-Length). */
function rawServer(onSocket: (socket: net.Socket) => void): Promise<{ origin: string; close: () => void }> {
  const server = net.createServer(onSocket);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

describe('attachment downloads only ever reach Discord’s CDN', () => {
  let server: http.Server;
  let origin = '';
  let elsewhere: http.Server;
  let elsewhereOrigin = '';
  let elsewhereHits = 0;
  let hits = 0;
  let streamed = 0;

  before(async () => {
    elsewhere = http.createServer((_req, res) => {
      elsewhereHits++;
      res.end(PNG);
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    elsewhereOrigin = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;

    server = http.createServer((req, res) => {
      hits++;
      const url = new URL(req.url!, 'http://x');
      const redirect = /^\/redirect-(\d{3})$/.exec(url.pathname);
      if (url.pathname === '/ok.png') return void res.end(PNG);
      if (redirect) return void res.writeHead(Number(redirect[1]), { location: `${elsewhereOrigin}/ok.png` }).end();
      if (url.pathname === '/redirect-same-origin') return void res.writeHead(302, { location: '/ok.png' }).end();
      if (url.pathname === '/endless') {
        // Chunked, no length, never ends by itself: only counting while streaming can stop it.
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(PNG_HEAD);
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = () => {
          while (!res.destroyed && streamed < 256 * MB) {
            streamed += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => undefined);
        return pump();
      }
      if (url.pathname === '/never') return; // accepts, never answers
      if (url.pathname === '/dribble') {
        // Headers at once, then one byte every 100 ms: well under the cap, but it never finishes.
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(PNG_HEAD);
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(Buffer.alloc(1))), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    elsewhere.closeAllConnections();
    elsewhere.close();
  });

  const limits = (over: Partial<AttachmentLimits> = {}): AttachmentLimits => ({
    maxBytes: MB,
    timeoutMs: 1_500,
    testOrigin: origin,
    ...over,
  });
  const ref = (url: string, name = 'shot.png'): AttachmentRef => ({ url, name, size: 1000, contentType: 'image/png' });

  it('accepts https URLs on cdn.discordapp.com and media.discordapp.net only', () => {
    for (const url of [
      'https://cdn.discordapp.com/attachments/111/222/shot.png',
      'https://media.discordapp.net/attachments/111/222/shot.png?ex=1&is=2&hm=3&width=640',
      'https://CDN.DISCORDAPP.COM/attachments/1/2/a.png',
      'https://cdn.discordapp.com:443/attachments/1/2/a.png',
    ]) {
      assert.equal(assertAllowedUrl(url, {}).protocol, 'https:', url);
    }
  });

  it('refuses every other scheme, host, port, IP literal, localhost and userinfo trick', () => {
    const refused = [
      'http://cdn.discordapp.com/attachments/1/2/a.png',
      'ftp://cdn.discordapp.com/a.png',
      'file:///etc/passwd',
      'data:image/png;base64,iVBORw0KGgo=',
      'javascript:alert(1)',
      'ws://cdn.discordapp.com/a.png',
      'https://cdn.discordapp.com:8443/a.png',
      'https://discord.com/attachments/1/2/a.png',
      'https://discordapp.com/a.png',
      'https://images-ext-1.discordapp.net/external/abc/https/evil.example/a.png',
      'https://cdn.discordapp.com.evil.example/a.png',
      'https://evil.example/cdn.discordapp.com/a.png',
      'https://evilcdn.discordapp.com/a.png',
      'https://cdn.discordapp.com./a.png',
      'https://cdn.discordapp.com@evil.example/a.png',
      'https://cdn.discordapp.com:443@evil.example/a.png',
      'https://cdn.discordapp.com%40evil.example/a.png',
      'https://evil.example\\@cdn.discordapp.com/a.png',
      'https://evil.example#@cdn.discordapp.com/a.png',
      'https://evil.example?@cdn.discordapp.com/a.png',
      'https://162.159.130.233/attachments/1/2/a.png',
      'https://127.0.0.1/a.png',
      'https://2130706433/a.png',
      'https://0x7f.0.0.1/a.png',
      'https://[::1]/a.png',
      'https://[::ffff:127.0.0.1]/a.png',
      'https://localhost/a.png',
      'http://localhost/a.png',
      'http://169.254.169.254/latest/meta-data/',
      origin + '/ok.png', // loopback without the explicit test setting
      '//cdn.discordapp.com/a.png',
      '',
      'not a url',
    ];
    for (const url of refused) assert.throws(() => assertAllowedUrl(url, {}), UserFacingError, `allowed: ${url}`);
  });

  it('allows the loopback origin only through the explicit test setting, and only that exact origin', () => {
    assert.equal(assertAllowedUrl(`${origin}/ok.png`, { testOrigin: origin }).pathname, '/ok.png');
    const port = new URL(origin).port;
    for (const url of [
      `http://localhost:${port}/ok.png`,
      `${elsewhereOrigin}/ok.png`,
      `https://127.0.0.1:${port}/ok.png`,
      `http://127.0.0.1/ok.png`,
    ]) {
      assert.throws(() => assertAllowedUrl(url, { testOrigin: origin }), UserFacingError, url);
    }
    // The setting itself accepts nothing but a loopback origin, and is absent unless set.
    assert.equal(loadBotSettings({ DISCORD_TOKEN: 'x' }).testAttachmentOrigin, undefined);
    for (const bad of [
      'https://evil.example',
      'http://10.0.0.1:80',
      'http://169.254.169.254',
      'http://127.0.0.1.evil.example',
      'file:///tmp',
    ]) {
      assert.throws(
        () => loadBotSettings({ DISCORD_TOKEN: 'x', IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN: bad }),
        SettingsError,
        bad,
      );
    }
  });

  it('downloads from the allowed origin, and credentials in the URL never make a request', async () => {
    assert.deepEqual(await downloadAttachment(ref(`${origin}/ok.png`), limits()), PNG);
    const before = hits;
    const withUser = origin.replace('http://', 'http://user:secret@');
    await assert.rejects(downloadAttachment(ref(`${withUser}/ok.png`), limits()), UserFacingError);
    assert.equal(hits, before, 'no request was sent');
  });

  it('follows no redirect, to another host or its own', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      await assert.rejects(
        downloadAttachment(ref(`${origin}/redirect-${status}`), limits()),
        UserFacingError,
        String(status),
      );
    }
    await assert.rejects(downloadAttachment(ref(`${origin}/redirect-same-origin`), limits()), UserFacingError);
    assert.equal(elsewhereHits, 0, 'the redirect target was never contacted');
  });

  it('stops an endless chunked body at the cap while streaming, long before the timeout', async () => {
    const started = Date.now();
    await assert.rejects(
      downloadAttachment(ref(`${origin}/endless`), limits({ timeoutMs: 20_000 })),
      /bigger than 1 MB/,
    );
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(streamed < 32 * MB, `the server managed to send ${(streamed / MB).toFixed(0)} MB before the hang-up`);
  });

  it('a Content-Length that lies (small header, huge body) never yields more than the cap', async () => {
    let sent = 0;
    const liar = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 500\r\n\r\n');
        socket.write(PNG_HEAD);
        const chunk = Buffer.alloc(64 * 1024, 2);
        const pump = () => {
          while (!socket.destroyed && sent < 64 * MB) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
          socket.end();
        };
        socket.on('error', () => undefined);
        pump();
      });
    });
    try {
      const result = await downloadAttachment(ref(`${liar.origin}/x.png`), limits({ testOrigin: liar.origin })).then(
        (bytes) => ({ bytes }),
        (error) => ({ error }),
      );
      if ('bytes' in result) assert.ok(result.bytes.length <= 500, `returned ${result.bytes.length} bytes`);
      else assert.ok(result.error instanceof UserFacingError, String(result.error));
    } finally {
      liar.close();
    }
  });

  it('a Content-Length over the cap is refused before the body is read', async () => {
    let sent = 0;
    const big = await rawServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: ${512 * MB}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 3);
        const pump = () => {
          while (!socket.destroyed && sent < 64 * MB) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
      });
    });
    try {
      await assert.rejects(
        downloadAttachment(ref(`${big.origin}/x.png`), limits({ testOrigin: big.origin })),
        /bigger than 1 MB/,
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(sent < 32 * MB, `${(sent / MB).toFixed(0)} MB sent before the hang-up`);
    } finally {
      big.close();
    }
  });

  it('gives up on a server that never answers, or answers one byte at a time', async () => {
    for (const pathname of ['/never', '/dribble']) {
      const started = Date.now();
      await assert.rejects(
        downloadAttachment(ref(`${origin}${pathname}`), limits({ timeoutMs: 800 })),
        /took too long/,
        pathname,
      );
      const took = Date.now() - started;
      assert.ok(took >= 700 && took < 3_000, `${pathname}: ${took} ms`);
    }
    const silent = await rawServer(() => undefined); // TCP accepted, not a byte back
    try {
      await assert.rejects(
        downloadAttachment(ref(`${silent.origin}/x.png`), limits({ testOrigin: silent.origin, timeoutMs: 800 })),
        /took too long/,
      );
    } finally {
      silent.close();
    }
  });
});
