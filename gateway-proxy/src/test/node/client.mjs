// Drives @discordjs/rest, unchanged, through the Shardgate REST proxy; prints one JSON summary line.
// Environment: PROXY_API (e.g. http://127.0.0.1:8081/api), DISCORD_TOKEN, CHANNEL_ID, MESSAGES.
import { REST } from '@discordjs/rest';

const rest = new REST({ api: process.env.PROXY_API, version: '10', timeout: 60_000, retries: 0 })
  .setToken(process.env.DISCORD_TOKEN);
let rateLimitedEvents = 0;
rest.on('rateLimited', () => { rateLimitedEvents++; });

const channel = process.env.CHANNEL_ID;
const count = Number(process.env.MESSAGES);
const summary = { sent: 0, errors: [], rateLimitedEvents: 0 };
try {
  const sends = [];
  for (let i = 0; i < count; i++) {
    sends.push(rest.post(`/channels/${channel}/messages`, { body: { content: `hello ${i}` } }));
  }
  const messages = await Promise.all(sends);
  summary.sent = messages.filter((m) => m.content && m.content.startsWith('hello ')).length;
  const upload = await rest.post(`/channels/${channel}/messages`, {
    body: { content: 'with a file', attachments: [{ id: 0, filename: 'shards.csv' }] },
    files: [{ name: 'shards.csv', data: Buffer.from('guild,shards\n1,16\n'), contentType: 'text/csv' }],
  });
  summary.uploaded = upload.attachments.map((a) => a.filename);
  const fetched = await rest.get(`/channels/${channel}/messages/${messages[0].id}`);
  summary.fetched = fetched.content;
  const me = await rest.get('/users/@me');
  summary.me = me.id;
} catch (e) {
  summary.errors.push(String(e && e.message ? e.message : e));
}
summary.rateLimitedEvents = rateLimitedEvents;
console.log(JSON.stringify(summary));
process.exit(0);
