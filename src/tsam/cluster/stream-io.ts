/** Reading one memberlist stream message from a TCP socket, and writing one. */
import type net from 'node:net';
import { type StreamMessage, type StreamParseOptions, parseStreamMessage } from '../wire/index.js';

export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
}

/**
 * Resolves with the first complete message on the socket. Rejects on a malformed message, on
 * close before a whole message arrived, or when `deadline` (epoch ms) passes.
 */
export function readStreamMessage(socket: net.Socket, opts: StreamParseOptions, deadline: number): Promise<StreamMessage> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | null, msg?: StreamMessage): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      if (err) reject(err);
      else resolve(msg!);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        const p = parseStreamMessage(buf, opts);
        if (p.status === 'done') finish(null, p.message);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = (): void =>
      finish(new StreamClosedError(buf.length === 0 ? 'EOF' : `stream closed after ${buf.length} bytes of an incomplete message`));
    const onError = (e: Error): void => finish(e);
    const timer = setTimeout(() => finish(new Error('i/o timeout reading stream')), Math.max(1, deadline - Date.now()));
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
  });
}

/** Writes and waits until the bytes are handed to the kernel. */
export function writeAll(socket: net.Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/** Half-closes after writing and waits for the socket to close (or a deadline). */
export function endAndWait(socket: net.Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, Math.max(1, timeoutMs));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
    // The peer closes after reading; we do not expect data, so discard anything that comes.
    socket.resume();
  });
}
