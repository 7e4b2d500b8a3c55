import type { Writable } from 'node:stream';

/** Writes text and resolves once it is flushed, so exit codes never cut output short. */
export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}
