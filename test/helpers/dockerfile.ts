// A small Dockerfile reader for lint-style tests (no Docker engine here): instructions with their arguments,
// line continuations joined, comments and parser directives dropped, grouped into build stages.

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, ... */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined && /^\s*(#|$)/.test(line)) return;
    // Comment lines inside a continued instruction are skipped, as BuildKit does.
    if (pending !== undefined && /^\s*#/.test(line)) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? { text: body.trim(), line: i + 1 } : { text: `${pending.text} ${body.trim()}`, line: pending.line };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (match?.[1] !== undefined) out.push({ keyword: match[1].toUpperCase(), args: match[2] ?? '', line: pending.line });
    pending = undefined;
  });
  return out;
}

export function stages(instructions: readonly Instruction[]): Stage[] {
  const out: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      out.push({ image: words[0] ?? '', name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
    } else {
      out[out.length - 1]?.instructions.push(ins);
    }
  }
  return out;
}

/** The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) as a map; quotes removed. */
export function envPairs(args: string): Record<string, string> {
  const legacy = /^(\w+)\s+([^=]*)$/.exec(args);
  if (legacy?.[1] !== undefined) return { [legacy[1]]: legacy[2] ?? '' };
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? '';
    if (m[1] !== undefined) out[m[1]] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return out;
}

/** Options (`--interval=30s`) and the rest of an instruction's arguments. */
export function options(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S+))?\s*/.exec(rest); m !== null; m = /^--([\w-]+)(?:=(\S+))?\s*/.exec(rest)) {
    if (m[1] !== undefined) flags[m[1]] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}
