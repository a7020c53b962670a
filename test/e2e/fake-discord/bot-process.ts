/** Runs the real bot (`tsx src/discord/main.ts`) as a child process pointed at the fake Discord. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeDiscord } from './server.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// node --import tsx, not the tsx wrapper: signals then reach the bot itself.
const NODE_ARGS = ['--import', 'tsx'];

export interface BotEnv {
  token: string;
  dataDir: string;
  extra?: Record<string, string>;
}

/** The environment the bot gets: the caller's, minus anything Discord-ish, plus the fake's. */
export function botEnv(fake: FakeDiscord, env: BotEnv): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('DISCORD_')));
  return {
    ...base,
    DISCORD_TOKEN: env.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_DEV_GUILD_ID: fake.guildId,
    IDOLTAG_DATA_DIR: env.dataDir,
    IDOLTAG_TEST_ALLOW_ATTACHMENT_ORIGIN: fake.origin,
    // info, whatever the runner says: tests wait for "online" and scan every line for the token.
    IDOLTAG_LOG_LEVEL: 'info',
    OMP_WAIT_POLICY: 'PASSIVE',
    ...env.extra,
  };
}

/** Runs a one-shot script (e.g. deploy-commands) to the end; resolves with its exit code and output. */
export function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, script], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

export class BotProcess {
  /** Every line the bot wrote to stdout or stderr, across its whole life. */
  readonly lines: string[] = [];
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const parts = partial.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.lines.push(line);
          if (process.env.IDOLTAG_E2E_ECHO) process.stderr.write(`[bot] ${line}\n`);
        }
      });
      stream?.on('end', () => partial && this.lines.push(partial));
    };
    collect(child.stdout);
    collect(child.stderr);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(env: NodeJS.ProcessEnv): BotProcess {
    const child = spawn(process.execPath, [...NODE_ARGS, path.join('src', 'discord', 'main.ts')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new BotProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The JSON log lines (pino) the bot wrote, parsed; other output is skipped. */
  logRecords(): Array<Record<string, any>> {
    return this.lines.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, any>];
      } catch {
        return [];
      }
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for the bot to exit on its own (e.g. after bad settings). */
  async exitCode(timeoutMs = 30_000): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`bot did not exit within ${timeoutMs} ms`)), timeoutMs).unref(),
    );
    return Promise.race([this.exited, timeout]);
  }

  /** SIGTERM, as a process manager would; SIGKILL if it has not gone within the grace period. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }

  output(): string {
    return this.lines.join('\n');
  }
}
