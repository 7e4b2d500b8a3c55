// The emulated cloudflared's zerolog: console (stderr) in the human format or, with `--output json`, sorted
// JSON; plus `--logfile` / `--log-directory` files that always get zerolog's own JSON (logger/create.go).
// Events below `--loglevel` are dropped from every writer.
import { mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { type FieldValue, formatConsoleJson, formatConsoleLine, formatFileJson, type WriteLevel } from '../../cloudflared/log/index.js';
import type { EmulatorLog } from './hooks.js';

/** Ordered fields of one event; `error` sits where zerolog's `.Err()` put it. */
export type Fields = readonly (readonly [string, FieldValue])[];

const RANK: Readonly<Record<string, number>> = { trace: -1, debug: 0, info: 1, warn: 2, error: 3, fatal: 4, panic: 5, disabled: 7 };

export interface LoggerOptions {
  /** `--loglevel` as given. */
  readonly level: string;
  /** `--output json`. */
  readonly json: boolean;
  readonly logfile?: string;
  readonly logDirectory?: string;
  readonly now: () => number;
  /** Console sink (stderr). */
  readonly write: (text: string) => void;
  /** stderr is a terminal: ANSI colours, as zerolog's ConsoleWriter adds then. */
  readonly color?: boolean;
}

export class EmulatorLogger {
  readonly #options: LoggerOptions;
  readonly #minRank: number;
  readonly #fd: number | undefined;
  #muted = false;
  /** The zerolog level name in force (`info` after a bad `--loglevel`). */
  readonly levelName: string;
  /** Set when `--loglevel` could not be parsed: cloudflared logs this once. */
  readonly levelError: string | undefined;
  /** Set when the log file could not be opened. */
  readonly fileError: string | undefined;

  constructor(options: LoggerOptions) {
    this.#options = options;
    const rank = options.level === '' ? RANK.disabled : RANK[options.level];
    this.levelName = rank === undefined ? 'info' : options.level;
    this.#minRank = rank ?? 1;
    this.levelError = rank === undefined ? `Failed to parse log level "${options.level}", using "info" instead` : undefined;
    let fd: number | undefined;
    let fileError: string | undefined;
    const file = options.logfile ? options.logfile : options.logDirectory ? path.join(options.logDirectory, 'cloudflared.log') : undefined;
    if (file !== undefined) {
      try {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o744 });
        fd = openSync(file, 'a', 0o644);
      } catch (e) {
        fileError = `unable to create a new logfile: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    this.#fd = fd;
    this.fileError = fileError;
  }

  /** While muted (the hang fault) nothing is written anywhere. */
  mute(muted: boolean): void {
    this.#muted = muted;
  }

  get muted(): boolean {
    return this.#muted;
  }

  enabled(level: WriteLevel): boolean {
    return (RANK[level] ?? 1) >= this.#minRank;
  }

  /** Writes one event with fields in emission order. */
  emit(level: WriteLevel, message: string, fields: Fields = []): void {
    if (this.#muted || !this.enabled(level)) return;
    const event = { level, time: this.#options.now(), message, fields };
    const color = this.#options.color === true;
    this.#options.write(`${this.#options.json ? formatConsoleJson(event) : formatConsoleLine(event, { color })}\n`);
    if (this.#fd !== undefined) {
      try {
        writeSync(this.#fd, `${formatFileJson(event)}\n`);
      } catch {
        // A failing file writer does not stop the others (resilientMultiWriter).
      }
    }
  }

  /** The hooks' EmulatorLog: `.Err(err)` first, then the fields in the order given. */
  readonly log: EmulatorLog = (level, message, fields = {}, error) => {
    const entries: [string, FieldValue][] = error === undefined ? [] : [['error', error]];
    for (const [key, value] of Object.entries(fields)) entries.push([key, value]);
    this.emit(level, message, entries);
  };
}
