// A small hand-made serving world for API tests against real Redis: ten titles per genre with
// factors planted on that genre's axis (a small tilt toward the next genre keeps them distinct),
// the app served as api/server.ts serves it, and the cleanup of a test's app and key prefix.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { ApiApp } from '../../api/app';

export interface WorldItem {
  movie_id: string;
  title: string;
  genres: string[];
  year: number;
  added_at: string;
  vec: number[];
}

/**
 * Ten titles per genre (`m-<first letter><j>`), genre gi on axis gi of a genres.length-d space;
 * every third one is also a Drama. `name(genre, j)` titles them.
 */
export function genreAxisItems(genres: readonly string[], name: (genre: string, j: number) => string): WorldItem[] {
  const out: WorldItem[] = [];
  genres.forEach((g, gi) => {
    for (let j = 0; j < 10; j++) {
      const vec = new Array<number>(genres.length).fill(0);
      vec[gi] = 0.95 - 0.03 * j;
      vec[(gi + 1) % genres.length] = 0.02 * j;
      out.push({ movie_id: `m-${g[0].toLowerCase()}${j}`, title: name(g, j), genres: j % 3 === 0 ? [g, 'Drama'] : [g], year: 2000 + j, added_at: '2020-01-01T00:00:00.000Z', vec });
    }
  });
  return out;
}

/** Unlink every key under `prefix:` (a test's own namespace; SCAN is fine at test sizes). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Serve as production does (api/server.ts): the read fast path in front of the Express app; or the Express app alone. */
export async function listen(app: ApiApp, viaExpressOnly = false): Promise<{ server: Server; base: string }> {
  const server = createServer(viaExpressOnly ? app : app.handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A test's teardown: stop the server and the app, drop the app's Redis client, delete the prefix, drop the seeding client. */
export async function stopServing(o: { server?: Server; app?: ApiApp; appRedis?: Redis; seedRedis: Redis; prefix: string }): Promise<void> {
  o.server?.close();
  await o.app?.close();
  o.appRedis?.disconnect();
  await deletePrefix(o.seedRedis, o.prefix);
  o.seedRedis.disconnect();
}
