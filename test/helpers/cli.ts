import { execFile } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { type Io } from '../../src/cli/io.js';
import { readTextOrUndefined } from '../../src/base/input-file.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/tunnelwatch', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs the CLI in-process against buffers (fast; used by most tests). */
export async function runCli(args: readonly string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; readText?: Io['readText'] } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const io: Io = { stdout, stderr, stdin: Readable.from([options.stdin ?? '']), env: options.env ?? {}, readText: options.readText ?? readTextOrUndefined };
  const code = await main(args, io);
  return { code, stdout: out(), stderr: err() };
}

/** Runs the built executable as a user would (needs `npm run build`, which `npm test` does first). */
export function runBin(args: readonly string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(BIN, [...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...options.env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}
