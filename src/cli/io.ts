import type { Readable, Writable } from 'node:stream';
import { readTextOrUndefined } from '../base/index.js';

/** What a command may touch, passed in so tests can run commands in-process against buffers. */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  /** Reads a text file; returns undefined when it does not exist or cannot be read. */
  readonly readText: (path: string) => string | undefined;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, readText: readTextOrUndefined };
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
