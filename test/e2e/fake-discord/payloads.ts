/** Builders for the JSON shapes Discord sends (API v10), trimmed to what discord.js reads. */

let lastSnowflake = BigInt(Date.now() - 1420070400000) << 22n;

/** Increasing snowflakes, so creation order survives sorting by id. */
export function snowflake(): string {
  lastSnowflake += 1n << 12n;
  return lastSnowflake.toString();
}

/** A fresh snowflake whose guild events Discord would send on shard `shard` of `count`. */
export function snowflakeOnShard(shard: number, count: number): string {
  const id = BigInt(snowflake());
  const timestamp = id >> 22n;
  const bump = (BigInt(shard) - (timestamp % BigInt(count)) + BigInt(count)) % BigInt(count);
  return (((timestamp + bump) << 22n) | (id & ((1n << 22n) - 1n))).toString();
}

export interface ApiUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: null;
  bot?: boolean;
}

export function user(id: string, username: string, bot = false): ApiUser {
  return { id, username, discriminator: '0', global_name: username, avatar: null, ...(bot ? { bot: true } : {}) };
}

/** Every permission bit an administrator would have; the fake does not enforce permissions. */
export const ALL_PERMISSIONS = ((1n << 50n) - 1n).toString();

export function member(u: ApiUser, permissions = ALL_PERMISSIONS) {
  return {
    user: u,
    roles: [],
    nick: null,
    avatar: null,
    joined_at: new Date(0).toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    pending: false,
    flags: 0,
    permissions,
  };
}

export interface ApiChannel {
  id: string;
  type: number;
  name: string;
  guild_id: string;
  position: number;
  permission_overwrites: [];
  parent_id: null;
  nsfw: boolean;
  topic: null;
  last_message_id: null;
  rate_limit_per_user: 0;
}

export function textChannel(id: string, guildId: string, name: string, position: number): ApiChannel {
  return {
    id,
    type: 0,
    name,
    guild_id: guildId,
    position,
    permission_overwrites: [],
    parent_id: null,
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

export function guildCreate(opts: {
  id: string;
  name: string;
  ownerId: string;
  channels: ApiChannel[];
  members: ReturnType<typeof member>[];
}) {
  return {
    id: opts.id,
    name: opts.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: opts.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [
      {
        id: opts.id,
        name: '@everyone',
        permissions: '1071698660929',
        position: 0,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      },
    ],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: opts.members.length,
    voice_states: [],
    members: opts.members,
    channels: opts.channels.map(({ guild_id: _omit, ...channel }) => channel),
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface ApiAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
}

export interface ApiMessage {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  author: ApiUser;
  member?: Omit<ReturnType<typeof member>, 'user' | 'permissions'>;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: ApiUser[];
  mention_roles: string[];
  attachments: ApiAttachment[];
  embeds: any[];
  components: any[];
  pinned: boolean;
  flags: number;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string; type?: number };
  referenced_message?: ApiMessage | null;
  webhook_id?: string;
  application_id?: string;
}

export function message(fields: Partial<ApiMessage> & Pick<ApiMessage, 'id' | 'channel_id' | 'author'>): ApiMessage {
  return {
    type: 0,
    content: '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components: [],
    pinned: false,
    flags: 0,
    ...fields,
  };
}
