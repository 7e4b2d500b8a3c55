// What a full spool drops first. Each record gets a keep class when it is written; a spool over its bound drops the
// lowest class first, oldest first within it, and the start-up records and each error's first occurrence last:
// those carry the cause, and a flood of one repeated line must not push them out. Pure.

/** Lowest first: repeats of a line already shipped, routine records, warnings and errors, the records that explain. */
export const KEEP = { repeat: 0, routine: 1, notable: 2, essential: 3 } as const;
export type KeepClass = (typeof KEEP)[keyof typeof KEEP];

/** The class of a record known only by its level (pino's numbers): warnings and above outlast the rest. */
export function keepByLevel(level: number): KeepClass {
  return level >= 40 ? KEEP.notable : KEEP.routine;
}

/** Records at the start of a run that are essential: its version, settings, IDs and first dials. */
const STARTUP_RECORDS = 30;
/** Error keys remembered for "first occurrence"; beyond it, errors keep the class of their level. */
const MAX_ERROR_KEYS = 10_000;

/** The first records of a run (cloudflared's, or tunnelwatch's own): its start-up. */
export class StartupRecords {
  #left = 0;

  /** A run starts: its next records are its start-up. */
  begin(): void {
    this.#left = STARTUP_RECORDS;
  }

  /** Whether the next record is one of the start-up's. */
  take(): boolean {
    if (this.#left === 0) return false;
    this.#left--;
    return true;
  }
}

/** The class of a record shipped as it came: `essential` (see ConnectorKeep), else a repeat when `again` (its key already shipped in the current repeat window), else by level. */
export function shippedKeep(essential: boolean, again: boolean, level: number): KeepClass {
  if (essential) return KEEP.essential;
  return again ? KEEP.repeat : keepByLevel(level);
}

/** Which of cloudflared's records are essential: the start of each run and each error's first occurrence. */
export class ConnectorKeep {
  readonly #startup = new StartupRecords();
  readonly #errorsSeen = new Set<string>();

  /** A new cloudflared run starts: its first records are its start-up. */
  runStarted(): void {
    this.#startup.begin();
  }

  /** Whether a record shipped now (to any output) is essential; asked once per record shipped. */
  essential(level: number, key: string): boolean {
    if (this.#startup.take()) return true;
    if (level >= 50 && !this.#errorsSeen.has(key) && this.#errorsSeen.size < MAX_ERROR_KEYS) {
      this.#errorsSeen.add(key);
      return true;
    }
    return false;
  }
}
