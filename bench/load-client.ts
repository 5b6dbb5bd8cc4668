// The serving benchmark's HTTP client (bench/serve.ts).
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/**
 * A minimal HTTP/1.1 keep-alive client for the load generator: a fixed pool of sockets, one
 * request in flight per socket, responses framed by Content-Length. It costs a fraction of
 * node:http's client per request, which matters when generator and server share two cores.
 * Requests beyond the pool wait in a FIFO (their latency still counts from the scheduled time).
 * A socket the server closed (its keep-alive timeout while the generator paused between phases)
 * is reopened on its next use; a request whose socket closes under it counts as an error, so a
 * phase always ends. Idle sockets are reused oldest first, so at a low rate every socket still
 * carries requests (most recently used first left the deep ones idle for minutes, until node's
 * connection check answered one with an unsolicited 408), and bytes arriving on an idle socket
 * (such a 408) close it instead of being read as the answer to its next request.
 */
export class LoadClient {
  private idle: Socket[] = [];
  private waiting: Array<{ path: string; done: (status: number, body: Buffer | null) => void }> = [];
  private sockets: Socket[] = [];

  constructor(
    private readonly host: string,
    private readonly ports: number[],
    private readonly size: number,
  ) {}

  async open(): Promise<void> {
    for (let i = 0; i < this.size; i++) {
      const s = this.connect(i);
      await once(s, 'connect');
      this.sockets.push(s);
      this.idle.push(s);
    }
  }

  private connect(i: number): Socket {
    const s = connect(this.ports[i % this.ports.length], this.host);
    s.setNoDelay(true);
    s.on('error', () => {}); // an idle socket's reset; a request's own error is handled in send()
    s.on('data', this.unsolicited);
    return s;
  }

  /** Bytes on a socket with no request in flight: the server gave up on the connection; drop it. */
  private readonly unsolicited = function (this: Socket): void {
    this.destroy();
  };

  get(path: string, done: (status: number, body: Buffer | null) => void): void {
    let s = this.idle.shift();
    if (s && (s.destroyed || s.readyState === 'closed' || s.readyState === 'readOnly' || s.readyState === 'writeOnly')) {
      const i = this.sockets.indexOf(s);
      this.sockets[i] = s = this.connect(i); // writes wait for the connection
    }
    if (!s) this.waiting.push({ path, done });
    else this.send(s, path, done);
  }

  private send(s: Socket, path: string, done: (status: number, body: Buffer | null) => void): void {
    let buf: Buffer = Buffer.alloc(0);
    let need = -1;
    let headerEnd = -1;
    let status = 0;
    let finished = false;
    const finish = (st: number, body: Buffer | null) => {
      if (finished) return;
      finished = true;
      s.removeListener('data', onData);
      s.removeListener('error', onError);
      s.removeListener('close', onError);
      if (!s.destroyed) s.on('data', this.unsolicited);
      done(st, body);
      const next = this.waiting.shift();
      if (next) this.send(s, next.path, next.done);
      else this.idle.push(s);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (headerEnd < 0) {
        headerEnd = buf.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buf.subarray(0, headerEnd).toString('latin1');
        status = Number(head.slice(9, 12));
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        need = m ? Number(m[1]) : 0;
      }
      if (buf.length >= headerEnd + 4 + need) finish(status, buf.subarray(headerEnd + 4, headerEnd + 4 + need));
    };
    const onError = () => finish(0, null);
    s.removeListener('data', this.unsolicited);
    s.on('data', onData);
    s.once('error', onError);
    s.once('close', onError);
    s.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\n\r\n`);
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
  }
}
