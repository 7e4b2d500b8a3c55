import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** What a command may touch, passed in so tests can run commands in-process against buffers. */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  /** Reads a text file; returns undefined when it does not exist or cannot be read. */
  readonly readText: (path: string) => string | undefined;
}

export function readTextOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, readText: readTextOrUndefined };
}

/** Writes text and resolves once it is flushed, so exit codes never cut output short. */
export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
