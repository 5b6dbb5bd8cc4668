// The operator token (ADMIN_TOKEN): admin routes take it as `Authorization: Bearer <token>`; the
// dashboard also takes a session cookie set from it (a login form or a one-time `?token=`), so a
// browser does not have to send a header. The cookie holds an expiry and an HMAC keyed by the
// token, never the token itself; changing ADMIN_TOKEN ends every session.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { HttpError } from './schemas';

export const SESSION_COOKIE = 'recs_operator';

export interface OperatorAuth {
  /** Throw 401 without a bearer token, 403 with a wrong one. */
  checkBearer(req: Request): void;
  /** Throw 401 unless the request carries the token (bearer header) or a valid session cookie; 403 for a wrong bearer. */
  checkOperator(req: Request): void;
  /** Does `token` equal the operator token? (constant time) */
  verifyToken(token: string): boolean;
  /** A Set-Cookie value for a new session scoped to `path`. */
  sessionCookie(path: string): string;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: Request, name: string): string | null {
  const header = req.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** `token` undefined: no operator token configured (only possible outside api/server.ts): every check fails. */
export function operatorAuth(token: string | undefined, sessionSeconds: number, clock: () => number = Date.now): OperatorAuth {
  const sign = (exp: number) => createHmac('sha256', token ?? '').update(`dashboard-session:${exp}`).digest('base64url');
  const bearer = (req: Request): string | null => /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? null;
  const verifyToken = (t: string) => token !== undefined && equal(t, token);
  const noToken = () => new HttpError(401, 'unauthorized', 'no operator token is configured on this instance (ADMIN_TOKEN)');

  return {
    verifyToken,
    checkBearer(req) {
      if (token === undefined) throw noToken();
      const got = bearer(req);
      if (got === null) throw new HttpError(401, 'unauthorized', 'an admin bearer token is required');
      if (!verifyToken(got)) throw new HttpError(403, 'forbidden', 'wrong admin token');
    },
    checkOperator(req) {
      if (token === undefined) throw noToken();
      const got = bearer(req);
      if (got !== null) {
        if (!verifyToken(got)) throw new HttpError(403, 'forbidden', 'wrong operator token');
        return;
      }
      const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(cookieValue(req, SESSION_COOKIE) ?? '');
      if (m && Number(m[1]) > clock() && equal(m[2], sign(Number(m[1])))) return;
      throw new HttpError(401, 'unauthorized', 'the dashboard needs the operator token: sign in at /dashboard, or send Authorization: Bearer <ADMIN_TOKEN>');
    },
    sessionCookie(path) {
      const exp = clock() + sessionSeconds * 1000;
      return `${SESSION_COOKIE}=${exp}.${sign(exp)}; Path=${path}; Max-Age=${sessionSeconds}; HttpOnly; SameSite=Strict`;
    },
  };
}
