import net, { type Socket } from 'node:net';

// Read buffers start small, so an idle or chatty connection holds little, and grow ×4 whenever a read
// fills one, up to MAX: bulk then moves in few large reads (fewer syscalls and wake-ups per byte).
// Toxiproxy reads into 32 KiB.
export const MIN_READ_BUFFER = 16 * 1024;
export const MAX_READ_BUFFER = 1024 * 1024;

/** Gets each read: `n` bytes at the start of `buf`, valid only until the handler returns. */
export type ReadHandler = (n: number, buf: Buffer) => void;

const ignore: ReadHandler = () => {};

/**
 * Reads one socket into a reused buffer through Node's `onread` option, instead of the stream path
 * (a new Buffer, a push into the readable state and a 'data' event per read). The handler sees the bytes
 * in place; whoever keeps them past the call (a pending write, a toxic holding a chunk) calls `renew()`
 * first, so the next read goes into a fresh buffer and the kept bytes are never overwritten.
 *
 * Node asks for the next read's buffer (`onread.buffer`) right after each read, so a renew or a growth
 * takes effect from the next read on. Pause and resume the socket as usual (`socket.pause()` stops the
 * reads); 'end', 'error' and 'close' are emitted as usual.
 */
export class SocketReader {
  private buf: Buffer = Buffer.allocUnsafe(MIN_READ_BUFFER);
  private handler: ReadHandler = ignore;
  /** The handler kept the current buffer's bytes: the next read must go elsewhere. */
  private kept = false;
  // The last `n`-byte view of `buf`, reused while reads keep the same size (a ping-pong does), so the
  // no-toxic path allocates nothing of its own per read.
  private view: Buffer = this.buf.subarray(0, 0);

  /** For `net.connect({ onread })` and `adoptAccepted()`. */
  readonly onread: net.OnReadOpts = {
    buffer: () => this.buf,
    callback: (n: number, buf: Uint8Array): boolean => {
      this.handler(n, buf as Buffer);
      // A full read says more is waiting: read bigger from now on.
      const grow = n === buf.length && n < MAX_READ_BUFFER;
      if (grow || this.kept) {
        this.buf = Buffer.allocUnsafe(grow ? Math.min(MAX_READ_BUFFER, n * 4) : buf.length);
        this.kept = false;
      }
      return true;
    },
  };

  /** Where reads go from now on. Sockets start reading only once their link is attached. */
  attach(handler: ReadHandler): void {
    this.handler = handler;
  }

  /** Reads are discarded from now on (the connection is closing; unread input would turn FIN into RST). */
  detach(): void {
    this.handler = ignore;
  }

  /** `buf`'s first `n` bytes as a Buffer of length `n`, without allocating when the size repeats. */
  viewOf(buf: Buffer, n: number): Buffer {
    if (n === buf.length) return buf;
    let v = this.view;
    if (v.length !== n || v.buffer !== buf.buffer || v.byteOffset !== buf.byteOffset) {
      v = buf.subarray(0, n);
      this.view = v;
    }
    return v;
  }

  /**
   * Called by the handler: the bytes it was given are kept (a pending write, a held chunk), so the next
   * read goes into a new buffer.
   */
  renew(): void {
    this.kept = true;
  }

  get bufferSize(): number {
    return this.buf.length;
  }
}

/**
 * Re-wraps an accepted socket so that it reads through `reader`. Node's `net.Server` has no `onread`
 * option (only `net.connect` has), so the accepted socket's handle moves to a new `net.Socket` built with
 * `onread`, the way Node itself wraps accepted handles; the old wrapper is released without closing the
 * handle. The server must use `pauseOnConnect`, so that nothing was read through the old wrapper.
 * `tcp/reader.test.ts` checks this against the running Node, so a change in Node fails there first.
 */
export function adoptAccepted(accepted: Socket, reader: SocketReader, allowHalfOpen: boolean): Socket {
  const old = accepted as Socket & { _handle: unknown };
  const handle = old._handle;
  if (handle === null || handle === undefined) throw new Error('accepted socket has no handle (already closed)');
  const socket = new net.Socket({
    handle,
    allowHalfOpen,
    readable: true,
    writable: true,
    pauseOnCreate: true,
    noDelay: true,
    onread: reader.onread,
  } as net.SocketConstructorOpts);
  // Release the old wrapper: with no handle its destroy() only settles its own state (and the server's
  // connection count); the handle now belongs to `socket`.
  old._handle = null;
  old.destroy();
  return socket;
}
