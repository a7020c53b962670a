/**
 * A fake Discord on 127.0.0.1 for end-to-end tests: REST v10 under /api, Gateway v10 (JSON, no
 * compression) on the same port, and a CDN serving attachments under /attachments. It records every
 * request the bot makes and offers helpers that play the part of fans: post a message, run a slash
 * command, click a button, pick from a select menu, submit a modal.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { boundaryOf, parseMultipart } from './multipart.ts';
import {
  guildCreate,
  member,
  message,
  snowflake,
  snowflakeOnShard,
  textChannel,
  user,
  type ApiAttachment,
  type ApiChannel,
  type ApiMessage,
  type ApiUser,
} from './payloads.ts';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType?: string;
  bytes: Buffer;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  /** The JSON body, or `payload_json` of a multipart body. */
  json?: any;
  files: RecordedFile[];
  /** The raw body as text (files included), for "is the token anywhere in it" checks. */
  rawText: string;
  status: number;
  at: number;
}

export interface AttachmentInput {
  filename: string;
  bytes: Buffer;
  contentType?: string;
  /** What the attachment claims its size is; defaults to the real size. */
  declaredSize?: number;
}

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  channelId: string;
  /** The message a component or modal came from. */
  messageId?: string;
  /** The message that holds this interaction's own reply (made by a reply or defer callback). */
  originalId?: string;
  callbacks: Array<{ type: number; data?: any; files: RecordedFile[] }>;
  followupIds: string[];
}

type InteractionUser = { user?: ApiUser; permissions?: string };

export interface FakeGuild {
  id: string;
  name: string;
  channels: { screenshots: ApiChannel; general: ApiChannel };
}

export interface FakeDiscordOptions {
  /** The shard count GET /gateway/bot recommends (default 1). */
  recommendedShards?: number;
  /** How many guilds the bot is in (default 1); guild i lives on shard i % recommendedShards. */
  guilds?: number;
}

function fakeGuild(id: string, name: string): FakeGuild {
  return {
    id,
    name,
    channels: {
      screenshots: textChannel(snowflake(), id, 'screenshots', 0),
      general: textChannel(snowflake(), id, 'general', 1),
    },
  };
}

const OPTION_TYPES = {
  SUB_COMMAND: 1,
  SUB_COMMAND_GROUP: 2,
  STRING: 3,
  INTEGER: 4,
  BOOLEAN: 5,
  CHANNEL: 7,
  NUMBER: 10,
  ATTACHMENT: 11,
};

export class FakeDiscord {
  readonly appId = snowflake();
  readonly botUser = user(this.appId, 'idoltag', true);
  readonly recommendedShards: number;
  readonly guilds: FakeGuild[];
  /** The first guild and its channels: what most tests talk to. */
  readonly guildId: string;
  readonly channels: FakeGuild['channels'];
  readonly producer = user(snowflake(), 'producer_p');
  readonly fan = user(snowflake(), 'haruka_fan');
  readonly otherBot = user(snowflake(), 'some_other_bot', true);

  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, ApiMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  /** Slash commands registered through PUT …/commands, by scope ("global" or a guild id). */
  readonly registeredCommands = new Map<string, any[]>();
  /** Tokens the bot identified with on the gateway. */
  readonly identifyTokens: string[] = [];
  /** Every IDENTIFY's `shard: [id, count]`, in order ([0, 1] when the bot sent none). */
  readonly identifiedShards: Array<[number, number]> = [];
  readonly reactions: Array<{ channelId: string; messageId: string; emoji: string }> = [];
  /** File names fetched from the fake CDN, in order: shows what the bot downloaded. */
  readonly cdnHits: string[] = [];

  private readonly cdnFiles = new Map<string, { bytes: Buffer; contentType: string }>();
  private readonly sockets = new Set<WebSocket>();
  /** Identified sockets, with the [id, count] each identified as. */
  private readonly ready = new Map<WebSocket, [number, number]>();
  private sequence = 0;
  private server!: http.Server;
  private wss!: WebSocketServer;
  port = 0;

  constructor(options: FakeDiscordOptions = {}) {
    this.recommendedShards = options.recommendedShards ?? 1;
    this.guilds = Array.from({ length: options.guilds ?? 1 }, (_, i) =>
      fakeGuild(
        snowflakeOnShard(i % this.recommendedShards, this.recommendedShards),
        i === 0 ? "Producers' Lounge" : `Producers' Lounge ${i + 1}`,
      ),
    );
    this.guildId = this.guilds[0].id;
    this.channels = this.guilds[0].channels;
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await fake.listen();
    return fake;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `${this.origin}/api`;
  }

  /** How many gateway sessions have finished identifying (one per bot start). */
  get sessions(): number {
    return this.identifyTokens.length;
  }

  private async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.handleHttp(req, res).catch((error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error), code: 0 }));
      });
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (socket) => this.handleGateway(socket));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- gateway

  private handleGateway(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.ready.delete(socket);
    });
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null }));
    socket.on('message', (raw) => {
      const packet = JSON.parse(raw.toString());
      if (packet.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (packet.op === 2) this.identify(socket, packet.d);
      // A resume after a restart cannot be honoured: ask for a fresh identify.
      if (packet.op === 6) socket.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
    });
  }

  /** The guilds Discord would send on shard [id, count]: `(guild_id >> 22) % count === id`. */
  guildsOnShard([id, count]: [number, number]): FakeGuild[] {
    return this.guilds.filter((g) => Number((BigInt(g.id) >> 22n) % BigInt(count)) === id);
  }

  /** Which of the connected shards receives this guild's events, if any. */
  private socketFor(guildId: string): WebSocket | undefined {
    for (const [socket, shard] of this.ready) {
      if (this.guildsOnShard(shard).some((g) => g.id === guildId)) return socket;
    }
    return undefined;
  }

  /** Whether a connected shard serves this guild now. */
  isServed(guildId: string): boolean {
    return this.socketFor(guildId) !== undefined;
  }

  private identify(socket: WebSocket, d: { token: string; intents: number; shard?: [number, number] }): void {
    const shard: [number, number] = d.shard ?? [0, 1];
    if (!Number.isInteger(shard[0]) || !Number.isInteger(shard[1]) || shard[0] < 0 || shard[0] >= shard[1]) {
      socket.close(4010, 'Invalid shard');
      return;
    }
    this.identifyTokens.push(d.token);
    this.identifiedShards.push(shard);
    const guilds = this.guildsOnShard(shard);
    this.sendTo(socket, 'READY', {
      v: 10,
      user: { ...this.botUser, verified: true, mfa_enabled: false, flags: 0 },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: randomBytes(16).toString('hex'),
      resume_gateway_url: `ws://127.0.0.1:${this.port}`,
      shard,
      application: { id: this.appId, flags: 0 },
      private_channels: [],
      relationships: [],
      user_settings: {},
      presences: [],
      geo_ordered_rtc_regions: [],
      guild_join_requests: [],
    });
    for (const guild of guilds) {
      this.sendTo(
        socket,
        'GUILD_CREATE',
        guildCreate({
          id: guild.id,
          name: guild.name,
          ownerId: this.producer.id,
          channels: Object.values(guild.channels),
          members: [member(this.botUser), member(this.producer), member(this.fan)],
        }),
      );
    }
    this.ready.set(socket, shard);
  }

  private sendTo(socket: WebSocket, t: string, d: unknown): void {
    socket.send(JSON.stringify({ op: 0, t, s: ++this.sequence, d }));
  }

  /** Sends a guild's event to the one shard that serves the guild, as Discord does. */
  private dispatch(t: string, d: unknown, guildId: string): void {
    const socket = this.socketFor(guildId);
    if (!socket) throw new Error(`no bot shard is connected to receive ${t} for guild ${guildId}`);
    this.sendTo(socket, t, d);
  }

  /** The guild a channel belongs to. */
  guildOf(channelId: string): FakeGuild {
    const guild = this.guilds.find((g) => Object.values(g.channels).some((c) => c.id === channelId));
    if (!guild) throw new Error(`unknown channel ${channelId}`);
    return guild;
  }

  private channelById(channelId: string): ApiChannel | undefined {
    return this.guilds.flatMap((g) => Object.values(g.channels)).find((c) => c.id === channelId);
  }

  /** Resolves once a bot has identified `count` times in total (count 1 = first start). */
  async waitForSessions(count: number, timeoutMs = 60_000): Promise<void> {
    await this.waitFor(() => this.sessions >= count && this.ready.size > 0, timeoutMs, `bot session #${count}`);
  }

  // ---------------------------------------------------------------- fan actions

  /** A fan posts a message; its attachments are served from the fake CDN. */
  postMessage(
    channelId: string,
    opts: { content?: string; attachments?: AttachmentInput[]; author?: ApiUser; replyTo?: string } = {},
  ): ApiMessage {
    const author = opts.author ?? this.fan;
    const guildId = this.guildOf(channelId).id;
    const id = snowflake();
    const msg = message({
      id,
      channel_id: channelId,
      guild_id: guildId,
      author,
      member: (({ user: _u, permissions: _p, ...rest }) => rest)(member(author)),
      content: opts.content ?? '',
      attachments: (opts.attachments ?? []).map((a) => this.hostAttachment(channelId, a)),
      ...(opts.replyTo
        ? {
            type: 19,
            message_reference: { message_id: opts.replyTo, channel_id: channelId, guild_id: guildId },
            referenced_message: this.messages.get(opts.replyTo) ?? null,
          }
        : {}),
    });
    this.messages.set(id, msg);
    this.dispatch('MESSAGE_CREATE', msg, guildId);
    return msg;
  }

  private hostAttachment(channelId: string, input: AttachmentInput): ApiAttachment {
    const id = snowflake();
    const url = `${this.origin}/attachments/${channelId}/${id}/${encodeURIComponent(input.filename)}`;
    const contentType = input.contentType ?? guessContentType(input.filename);
    this.cdnFiles.set(new URL(url).pathname, { bytes: input.bytes, contentType });
    return {
      id,
      filename: input.filename,
      size: input.declaredSize ?? input.bytes.length,
      url,
      proxy_url: url,
      content_type: contentType,
    };
  }

  /** Runs a slash command. `name` may hold a subcommand: "watch add". Option types come from the
   * commands the bot registered, so a test fails loudly when it uses an option that does not exist. */
  slash(
    name: string,
    options: Record<string, string | number | boolean | AttachmentInput> = {},
    opts: { channelId?: string } & InteractionUser = {},
  ): FakeInteraction {
    const [commandName, subcommand] = name.split(' ');
    const definition = this.findCommand(commandName);
    const optionDefs: any[] = subcommand
      ? ((definition.options ?? []).find((o: any) => o.name === subcommand)?.options ?? [])
      : (definition.options ?? []);
    const resolved: any = {};
    const channelId = opts.channelId ?? this.channels.general.id;
    const built = Object.entries(options).map(([optionName, value]) => {
      const def = optionDefs.find((o: any) => o.name === optionName);
      if (!def) throw new Error(`/${name} has no option "${optionName}"`);
      if (def.type === OPTION_TYPES.ATTACHMENT) {
        const attachment = this.hostAttachment(channelId, value as AttachmentInput);
        (resolved.attachments ??= {})[attachment.id] = attachment;
        return { name: optionName, type: def.type, value: attachment.id };
      }
      if (def.type === OPTION_TYPES.CHANNEL) {
        const channel = this.channelById(String(value));
        if (!channel) throw new Error(`unknown channel ${String(value)}`);
        (resolved.channels ??= {})[channel.id] = {
          id: channel.id,
          name: channel.name,
          type: channel.type,
          permissions: '1071698660929',
          guild_id: channel.guild_id,
        };
        return { name: optionName, type: def.type, value: channel.id };
      }
      return { name: optionName, type: def.type, value };
    });
    const dataOptions = subcommand ? [{ name: subcommand, type: OPTION_TYPES.SUB_COMMAND, options: built }] : built;
    return this.interact(2, channelId, opts, {
      id: definition.id,
      name: commandName,
      type: 1,
      options: dataOptions,
      ...(Object.keys(resolved).length ? { resolved } : {}),
    });
  }

  /** Starts typing into an autocompleted option. */
  autocomplete(
    name: string,
    focused: string,
    typed: string,
    opts: { channelId?: string } & InteractionUser = {},
  ): FakeInteraction {
    const [commandName, subcommand] = name.split(' ');
    const definition = this.findCommand(commandName);
    const option = { name: focused, type: OPTION_TYPES.STRING, value: typed, focused: true };
    return this.interact(4, opts.channelId ?? this.channels.general.id, opts, {
      id: definition.id,
      name: commandName,
      type: 1,
      options: subcommand ? [{ name: subcommand, type: OPTION_TYPES.SUB_COMMAND, options: [option] }] : [option],
    });
  }

  clickButton(msg: ApiMessage | string, customId: string, opts: InteractionUser = {}): FakeInteraction {
    const target = this.resolveMessage(msg);
    const button = findComponent(target, customId);
    if (!button || button.type !== 2) throw new Error(`message ${target.id} has no button "${customId}"`);
    if (button.disabled) throw new Error(`button "${customId}" is disabled`);
    return this.interact(3, target.channel_id, opts, { custom_id: customId, component_type: 2 }, target);
  }

  selectMenu(
    msg: ApiMessage | string,
    customId: string,
    values: string[],
    opts: InteractionUser = {},
  ): FakeInteraction {
    const target = this.resolveMessage(msg);
    const menu = findComponent(target, customId);
    if (!menu || menu.type !== 3) throw new Error(`message ${target.id} has no string select "${customId}"`);
    for (const value of values) {
      if (!menu.options.some((o: any) => o.value === value))
        throw new Error(`select "${customId}" has no option "${value}"`);
    }
    return this.interact(3, target.channel_id, opts, { custom_id: customId, component_type: 3, values }, target);
  }

  /** Submits the modal the bot showed in answer to `shownBy` (a component or command interaction). */
  submitModal(shownBy: FakeInteraction, fields: Record<string, string>, opts: InteractionUser = {}): FakeInteraction {
    const modal = shownBy.callbacks.find((c) => c.type === 9)?.data;
    if (!modal) throw new Error(`interaction ${shownBy.id} showed no modal`);
    const components = (modal.components as any[]).map((row) => {
      const input = row.type === 18 ? row.component : row.components[0];
      if (!(input.custom_id in fields) && input.required !== false)
        throw new Error(`modal field "${input.custom_id}" is required`);
      const answer = { type: 4, custom_id: input.custom_id, value: fields[input.custom_id] ?? '' };
      return row.type === 18 ? { type: 18, id: row.id ?? 0, component: answer } : { type: 1, components: [answer] };
    });
    const source = shownBy.messageId ? this.messages.get(shownBy.messageId) : undefined;
    return this.interact(5, shownBy.channelId, opts, { custom_id: modal.custom_id, components }, source);
  }

  private interact(
    type: number,
    channelId: string,
    who: InteractionUser,
    data: any,
    source?: ApiMessage,
  ): FakeInteraction {
    const channel = this.channelById(channelId) as ApiChannel;
    const guildId = this.guildOf(channelId).id;
    const interaction: FakeInteraction = {
      id: snowflake(),
      token: `itoken-${randomBytes(12).toString('hex')}`,
      type,
      channelId,
      messageId: source?.id,
      callbacks: [],
      followupIds: [],
    };
    this.interactions.set(interaction.token, interaction);
    const actor = who.user ?? this.producer;
    this.dispatch(
      'INTERACTION_CREATE',
      {
        id: interaction.id,
        application_id: this.appId,
        type,
        token: interaction.token,
        version: 1,
        guild_id: guildId,
        guild: { id: guildId, locale: 'en-US', features: [] },
        channel_id: channelId,
        channel: { ...channel, permissions: '1071698660929' },
        member: member(actor, who.permissions),
        locale: 'en-US',
        guild_locale: 'en-US',
        app_permissions: '1071698660929',
        entitlements: [],
        authorizing_integration_owners: { '0': guildId },
        context: 0,
        attachment_size_limit: 10 * 1024 * 1024,
        data,
        ...(source ? { message: source } : {}),
      },
      guildId,
    );
    return interaction;
  }

  private findCommand(name: string): any {
    const all = [...this.registeredCommands.values()].flat();
    const definition = all.find((c) => c.name === name);
    if (!definition) throw new Error(`/${name} was never registered (run deploy-commands against the fake first)`);
    return definition;
  }

  private resolveMessage(msg: ApiMessage | string): ApiMessage {
    const id = typeof msg === 'string' ? msg : msg.id;
    const found = this.messages.get(id);
    if (!found) throw new Error(`unknown message ${id}`);
    return found;
  }

  // ---------------------------------------------------------------- what tests read

  /** Messages the bot sent in reply to `messageId`, oldest first. */
  repliesTo(messageId: string): ApiMessage[] {
    return [...this.messages.values()].filter(
      (m) => m.author.id === this.appId && m.message_reference?.message_id === messageId,
    );
  }

  /** The current state of the message holding an interaction's own reply. */
  original(interaction: FakeInteraction): ApiMessage | undefined {
    const fresh = this.interactions.get(interaction.token) ?? interaction;
    const id = fresh.originalId ?? fresh.messageId;
    return id ? this.messages.get(id) : undefined;
  }

  /** Resolves with the interaction's reply once it is no longer "thinking…". */
  async reply(interaction: FakeInteraction, timeoutMs = 30_000): Promise<ApiMessage> {
    return this.waitFor(
      () => {
        const msg = this.original(interaction);
        return msg && interaction.originalId && !(msg.flags & 128) ? msg : undefined;
      },
      timeoutMs,
      `a reply to interaction ${interaction.id}`,
    );
  }

  /** The bytes of a file the bot attached, fetched back from the fake CDN. */
  fileOf(attachment: ApiAttachment): Buffer {
    const file = this.cdnFiles.get(new URL(attachment.url).pathname);
    if (!file) throw new Error(`no file behind ${attachment.url}`);
    return file.bytes;
  }

  /** Every request the bot made, as one text: for "the token never leaks" checks. */
  everythingTheBotSent(): string {
    return this.requests.map((r) => `${r.method} ${r.path}?${r.query}\n${r.rawText}`).join('\n');
  }

  async waitFor<T>(probe: () => T | undefined | false | null, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  // ---------------------------------------------------------------- REST + CDN

  private async handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);

    if (req.method === 'GET' && url.pathname.startsWith('/attachments/')) {
      const file = this.cdnFiles.get(url.pathname);
      this.cdnHits.push(decodeURIComponent(url.pathname.split('/').pop() ?? ''));
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
      return void res.end(file.bytes);
    }

    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname.replace(/^\/api\/v10/, '')),
      query: url.searchParams,
      authorization: req.headers.authorization,
      files: [],
      rawText: body.toString('latin1'),
      status: 0,
      at: Date.now(),
    };
    const boundary = boundaryOf(req.headers['content-type']);
    if (boundary) {
      for (const part of parseMultipart(body, boundary)) {
        if (part.name === 'payload_json') record.json = JSON.parse(part.data.toString('utf8'));
        else if (part.filename !== undefined) {
          record.files.push({
            field: part.name,
            filename: part.filename,
            contentType: part.contentType,
            bytes: part.data,
          });
        }
      }
    } else if (body.length > 0) {
      record.json = JSON.parse(body.toString('utf8'));
    }
    this.requests.push(record);

    const send = (status: number, json?: unknown) => {
      record.status = status;
      if (json === undefined) return void res.writeHead(status).end();
      const text = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };

    if (!url.pathname.startsWith('/api/v10/')) return send(404, { message: '404: Not Found', code: 0 });
    const route = `${record.method} ${record.path}`;
    let m: RegExpMatchArray | null;

    // Like Discord, refuse a token it does not know: the fake rejects those starting with "invalid".
    if (record.authorization?.startsWith('Bot invalid')) return send(401, { message: '401: Unauthorized', code: 0 });
    if (route === 'GET /gateway/bot') {
      return send(200, {
        url: `ws://127.0.0.1:${this.port}`,
        shards: this.recommendedShards,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (route === 'GET /users/@me') return send(200, this.botUser);
    if (route === 'GET /applications/@me')
      return send(200, { id: this.appId, name: 'idoltag', flags: 0, bot: this.botUser });

    if ((m = route.match(/^PUT \/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/))) {
      const scope = m[2] ?? 'global';
      const commands = (record.json as any[]).map((c) => ({
        ...c,
        id: snowflake(),
        application_id: this.appId,
        version: snowflake(),
      }));
      this.registeredCommands.set(scope, commands);
      return send(200, commands);
    }

    if ((m = route.match(/^POST \/channels\/(\d+)\/typing$/))) return send(204);

    if ((m = route.match(/^PUT \/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/))) {
      this.reactions.push({ channelId: m[1], messageId: m[2], emoji: m[3] });
      return send(204);
    }

    if ((m = route.match(/^GET \/channels\/(\d+)\/messages\/(\d+)$/))) {
      const found = this.messages.get(m[2]);
      if (!found || found.channel_id !== m[1]) return send(404, { message: 'Unknown Message', code: 10008 });
      return send(200, found);
    }

    if ((m = route.match(/^GET \/channels\/(\d+)$/))) {
      const channel = this.channelById(m[1]);
      return channel ? send(200, channel) : send(404, { message: 'Unknown Channel', code: 10003 });
    }

    if ((m = route.match(/^POST \/channels\/(\d+)\/messages$/))) {
      return send(200, this.createBotMessage(m[1], record));
    }

    if ((m = route.match(/^PATCH \/channels\/(\d+)\/messages\/(\d+)$/))) {
      const edited = this.editMessage(m[2], record);
      return edited ? send(200, edited) : send(404, { message: 'Unknown Message', code: 10008 });
    }

    if ((m = route.match(/^POST \/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      return this.interactionCallback(m[2], record, send);
    }

    if ((m = route.match(/^(GET|PATCH|DELETE) \/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/))) {
      const interaction = this.interactions.get(m[3]);
      if (!interaction) return send(404, { message: 'Unknown Webhook', code: 10015 });
      const id = m[4] === '@original' ? (interaction.originalId ?? interaction.messageId) : m[4];
      if (!id || !this.messages.has(id)) return send(404, { message: 'Unknown Message', code: 10008 });
      if (m[1] === 'GET') return send(200, this.messages.get(id));
      if (m[1] === 'DELETE') {
        this.messages.delete(id);
        return send(204);
      }
      return send(200, this.editMessage(id, record));
    }

    if ((m = route.match(/^POST \/webhooks\/(\d+)\/([^/]+)$/))) {
      const interaction = this.interactions.get(m[2]);
      if (!interaction) return send(404, { message: 'Unknown Webhook', code: 10015 });
      const created = this.createBotMessage(interaction.channelId, record, record.json?.flags ?? 0);
      interaction.followupIds.push(created.id);
      return send(200, created);
    }

    return send(404, { message: `fake Discord does not know ${route}`, code: 0 });
  }

  private interactionCallback(token: string, record: RecordedRequest, send: (s: number, j?: unknown) => void): void {
    const interaction = this.interactions.get(token);
    if (!interaction) return send(404, { message: 'Unknown interaction', code: 10062 });
    if (record.authorization) return send(400, { message: 'callbacks carry no Authorization header', code: 0 });
    const { type, data } = record.json as { type: number; data?: any };
    if (interaction.callbacks.some((c) => c.type !== 8)) {
      return send(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
    }
    interaction.callbacks.push({ type, data, files: record.files });
    let resource: ApiMessage | undefined;
    if (type === 4 || type === 5) {
      const flags = (data?.flags ?? 0) | (type === 5 ? 128 : 0);
      resource = this.createBotMessage(interaction.channelId, { ...record, json: data ?? {} }, flags, interaction);
      interaction.originalId = resource.id;
    } else if (type === 7 && interaction.messageId) {
      resource = this.editMessage(interaction.messageId, { ...record, json: data ?? {} });
      interaction.originalId = interaction.messageId;
    } else if (type === 6 && interaction.messageId) {
      interaction.originalId = interaction.messageId;
    }
    if (record.query.get('with_response') === 'true') {
      return send(200, {
        interaction: {
          id: interaction.id,
          type: interaction.type,
          response_message_loading: type === 5,
          response_message_ephemeral: false,
        },
        resource: { type, ...(resource ? { message: resource } : {}) },
      });
    }
    return send(204);
  }

  private createBotMessage(
    channelId: string,
    record: RecordedRequest,
    flags = 0,
    interaction?: FakeInteraction,
  ): ApiMessage {
    const payload = record.json ?? {};
    const id = snowflake();
    const reference = payload.message_reference;
    const guildId = this.guildOf(channelId).id;
    const msg = message({
      id,
      channel_id: channelId,
      guild_id: guildId,
      author: this.botUser,
      content: payload.content ?? '',
      embeds: payload.embeds ?? [],
      components: payload.components ?? [],
      attachments: this.attachmentsFor(channelId, payload, record.files, []),
      flags: flags | (payload.flags ?? 0),
      ...(interaction ? { application_id: this.appId, webhook_id: this.appId, type: 20 } : {}),
      ...(reference ? { type: 19, message_reference: { ...reference, channel_id: channelId, guild_id: guildId } } : {}),
    });
    this.messages.set(id, msg);
    return msg;
  }

  private editMessage(id: string, record: RecordedRequest): ApiMessage | undefined {
    const current = this.messages.get(id);
    if (!current) return undefined;
    const payload = record.json ?? {};
    const edited: ApiMessage = {
      ...current,
      edited_timestamp: new Date().toISOString(),
      // Editing the deferred "thinking…" message finishes it.
      flags: current.flags & ~128,
      ...('content' in payload ? { content: payload.content ?? '' } : {}),
      ...('embeds' in payload ? { embeds: payload.embeds ?? [] } : {}),
      ...('components' in payload ? { components: payload.components ?? [] } : {}),
      ...('attachments' in payload || record.files.length > 0
        ? { attachments: this.attachmentsFor(current.channel_id, payload, record.files, current.attachments) }
        : {}),
    };
    this.messages.set(id, edited);
    return edited;
  }

  /** Attachments after a create or edit: kept ones are named by id in `payload.attachments`. */
  private attachmentsFor(
    channelId: string,
    payload: any,
    files: RecordedFile[],
    existing: ApiAttachment[],
  ): ApiAttachment[] {
    const listed: any[] | undefined = payload.attachments;
    const kept = listed ? existing.filter((a) => listed.some((l) => String(l.id) === a.id)) : existing;
    const uploaded = files.map((file, index) => {
      const meta = listed?.find((l) => String(l.id) === String(index));
      return this.hostAttachment(channelId, {
        filename: meta?.filename ?? file.filename,
        bytes: file.bytes,
        contentType: file.contentType,
      });
    });
    return [...kept, ...uploaded];
  }
}

function findComponent(msg: ApiMessage, customId: string): any {
  const stack = [...msg.components];
  while (stack.length > 0) {
    const component = stack.pop();
    if (component.custom_id === customId) return component;
    if (component.components) stack.push(...component.components);
    if (component.component) stack.push(component.component);
  }
  return undefined;
}

function guessContentType(filename: string): string {
  const ext = filename.toLowerCase().split('.').pop();
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    webp: 'image/webp',
    gif: 'image/gif',
    txt: 'text/plain; charset=utf-8',
    pdf: 'application/pdf',
  };
  return types[ext ?? ''] ?? 'application/octet-stream';
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
