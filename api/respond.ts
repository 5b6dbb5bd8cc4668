// How the API writes JSON: sendJson (res.json without Express's send() machinery, for the hot
// path) and the one error renderer. Every failure the API answers — thrown by a route handler
// and caught by the Express error middleware, or rejected on the read fast path — goes
// through renderError: the same status, body `{ error: { code, message, details } }`, headers,
// counter and log line wherever it was thrown.
import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import { HttpError } from './schemas';

/** res.json without Express's send() machinery (freshness, ETag, charset juggling): the hot path. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

/** JSON already encoded (api/feed-json.ts): the bytes as they are. */
export function sendJsonBytes(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

/** Where a failure was caught: for the log line of an unexpected one. */
export interface ErrorSite {
  path: string;
  reqId?: string;
}

export type ErrorRenderer = (err: unknown, res: ServerResponse, site: ErrorSite) => void;

export interface ErrorRendererDeps {
  /** The JSON body limit, named in a 413's message. */
  bodyLimitBytes: number;
  metrics: Pick<ApiMetrics, 'errors'>;
  log: Logger;
}

/**
 * Failures as HTTP: an HttpError as it is; a body-parser failure as 413/400 with a code; anything
 * else is a bug: counted (errors{where="unhandled"}), logged with its stack, answered 500 "internal".
 */
export function errorRenderer(deps: ErrorRendererDeps): ErrorRenderer {
  const classify = (err: unknown, site: ErrorSite): HttpError => {
    if (err instanceof HttpError) return err;
    if (isBodyParserError(err)) {
      if (err.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', `body larger than ${deps.bodyLimitBytes} bytes`);
      if (err.type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'body is not valid JSON');
      return new HttpError(err.status >= 400 && err.status < 500 ? err.status : 400, 'bad_request', err.message);
    }
    deps.metrics.errors.inc({ where: 'unhandled' });
    deps.log('error', 'unhandled error', { path: site.path, req_id: site.reqId, error: (err as Error)?.stack ?? String(err) });
    return new HttpError(500, 'internal', 'internal error');
  };
  return (err, res, site) => {
    const e = classify(err, site);
    if (res.headersSent) return;
    const headers: Record<string, string> = {};
    if (e.status === 401) headers['WWW-Authenticate'] = 'Bearer';
    if (e.status === 503) headers['Retry-After'] = String(e.retryAfterSeconds ?? 1);
    sendJson(res, e.status, { error: { code: e.code, message: e.message, details: e.details } }, headers);
  };
}

/** The one error middleware: Express's view of the renderer. */
export const errorMiddleware =
  (render: ErrorRenderer) =>
  (err: unknown, req: Request, res: Response, _next: NextFunction): void =>
    render(err, res, { path: req.path, reqId: res.locals.requestId as string | undefined });

function isBodyParserError(err: unknown): err is { type: string; status: number; message: string } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && typeof (err as { status?: unknown }).status === 'number';
}
