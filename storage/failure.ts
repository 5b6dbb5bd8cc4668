// The most specific message in a Temporal failure chain (workflow → activity → application).
export function rootMessage(e: unknown): string {
  let cur = e as { message?: string; cause?: unknown } | undefined;
  let msg = cur?.message ?? String(e);
  while (cur && cur.cause) {
    cur = cur.cause as { message?: string; cause?: unknown };
    if (cur?.message) msg = cur.message;
  }
  return msg;
}
