// One id per HTTP request: the client's `x-request-id` when it is a sane token (so a trace can
// cross services), else a fresh UUID; echoed in the response header and put on the log lines
// about that request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The request's id (the client's, or new), already set on the response header. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
