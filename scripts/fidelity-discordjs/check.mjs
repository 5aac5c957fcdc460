// discord.js against a running Discord simulator: discovery through /gateway/bot, READY and GUILD_CREATE,
// a MESSAGE_CREATE reaching the client, a reply through discord.js's REST, a resume after close 4000 with the
// dispatches sent meanwhile replayed, and a burst of messages paced by the rate-limit headers without a 429.
// Environment: SIM_URL (http://127.0.0.1:PORT), SIM_TOKEN, SIM_GUILDS_PER_SHARD. Prints "N passed, M failed".
import { Client, Events, GatewayIntentBits } from 'discord.js';

const simUrl = process.env.SIM_URL;
const token = process.env.SIM_TOKEN ?? 'sim-token';
const guildsPerShard = Number(process.env.SIM_GUILDS_PER_SHARD ?? 3);
const BURST = 12;
const TIMEOUT_MS = 30_000;
const AUTHOR_ID = '1185000000000000001';

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

async function control(method, path, body) {
  const response = await fetch(`${simUrl}/_sim${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`${method} /_sim${path}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

function within(ms, promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

function snowflakeNow(n) {
  return ((BigInt(Date.now() - 1420070400000) << 22n) + BigInt(n)).toString();
}

function messageCreate(guildId, channelId, n, content) {
  return {
    id: snowflakeNow(n), channel_id: channelId, guild_id: guildId, channel_type: 0,
    author: { id: AUTHOR_ID, username: 'tester', global_name: 'Tester', discriminator: '0', avatar: null, public_flags: 0 },
    member: { roles: [], nick: null, joined_at: '2021-03-15T10:00:00.000000+00:00', deaf: false, mute: false, flags: 0,
      premium_since: null, avatar: null },
    content, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false,
    mentions: [], mention_roles: [], attachments: [], embeds: [], components: [], pinned: false, type: 0, flags: 0,
  };
}

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api: `${simUrl}/api` },
});
const received = [];
const waiters = [];
client.on(Events.MessageCreate, (message) => {
  received.push(message);
  waiters.splice(0).forEach((wake) => wake());
});
function nextMessage() {
  return within(TIMEOUT_MS, new Promise((resolve) => {
    const take = () => (received.length > 0 ? resolve(received.shift()) : waiters.push(take));
    take();
  }), 'a MESSAGE_CREATE');
}
const statuses = [];
client.rest.on('response', (_request, response) => statuses.push(response.status));

try {
  const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
  await client.login(token);
  await within(TIMEOUT_MS, ready, 'READY');
  await within(TIMEOUT_MS, (async () => {
    while (client.guilds.cache.filter((g) => g.available).size < guildsPerShard) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), 'GUILD_CREATE for every guild');
  check('ready with every guild of GUILD_CREATE', client.guilds.cache.size === guildsPerShard,
    `guilds: ${client.guilds.cache.size}`);

  const guild = client.guilds.cache.first();
  const channel = guild.channels.cache.find((c) => c.name === 'general');
  check('GUILD_CREATE channels cached', channel !== undefined && channel.isTextBased());

  await control('POST', '/shards/0/dispatch', { t: 'MESSAGE_CREATE', d: messageCreate(guild.id, channel.id, 1, '!ping') });
  const ping = await nextMessage();
  check('MESSAGE_CREATE content', ping.content === '!ping', ping.content);
  check('MESSAGE_CREATE author', ping.author.id === AUTHOR_ID && ping.author.username === 'tester');
  check('MESSAGE_CREATE channel', ping.channelId === channel.id && ping.guildId === guild.id);

  const pong = await ping.channel.send('pong');
  const stored = await (await fetch(`${simUrl}/api/v10/channels/${channel.id}/messages/${pong.id}`,
    { headers: { Authorization: `Bot ${token}` } })).json();
  check('reply stored by the REST simulator', stored.content === 'pong' && pong.author.id === client.user.id,
    JSON.stringify(stored));

  await control('POST', '/shards/0/faults/stall');
  for (let n = 1; n <= 3; n++) {
    await control('POST', '/shards/0/dispatch', { t: 'MESSAGE_CREATE', d: messageCreate(guild.id, channel.id, 10 + n, `gap ${n}`) });
  }
  await control('POST', '/shards/0/faults/close?code=4000');
  const gap = [];
  for (let n = 1; n <= 3; n++) {
    gap.push((await nextMessage()).content);
  }
  check('dispatches sent during the gap delivered in order', gap.join(',') === 'gap 1,gap 2,gap 3', gap.join(','));
  const resumes = await control('GET', '/resumes');
  const identifies = await control('GET', '/identifies');
  check('resumed after close 4000, not re-identified',
    resumes.length === 1 && resumes[0].outcome === 'RESUMED' && resumes[0].replayed === 3 && identifies.length === 1,
    `resumes: ${JSON.stringify(resumes)} identifies: ${identifies.length}`);

  statuses.length = 0;
  const burst = await within(60_000, Promise.all(
    Array.from({ length: BURST }, (_, n) => channel.send(`burst ${n}`))), 'the burst');
  check(`burst of ${BURST} messages delivered`, burst.length === BURST);
  check('burst paced by the headers: no 429', statuses.length >= BURST && !statuses.includes(429),
    `statuses: ${statuses.join(',')}`);
} catch (error) {
  failed++;
  console.log(`FAIL ${error.stack ?? error}`);
} finally {
  await client.destroy();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
