// Lexes one line of the Prometheus text format (0.0.4, as client_golang's promhttp serves it) into a typed
// token. Tolerant where Prometheus' own scraper is: OpenMetrics comments (`# EOF`, `# UNIT`), exemplars,
// quoted UTF-8 names, a trailing comma in a label set, and unknown escapes (kept as written).

/** Metric types of the text format, plus the OpenMetrics ones a server might send. */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'gaugehistogram'
  | 'stateset'
  | 'info';

/** One lexed line; `skip` covers blank lines and comments that carry no data. */
export type ExpositionLine =
  | { readonly kind: 'skip' }
  | { readonly kind: 'help'; readonly name: string; readonly help: string }
  | { readonly kind: 'type'; readonly name: string; readonly type: MetricType }
  | {
      readonly kind: 'sample';
      readonly name: string;
      readonly labels: Record<string, string>;
      readonly value: number;
      readonly timestamp?: number;
    }
  | { readonly kind: 'error'; readonly message: string };

const TYPES: ReadonlySet<string> = new Set<MetricType>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'gaugehistogram',
  'stateset',
  'info',
]);

const SKIP: ExpositionLine = { kind: 'skip' };
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** Thrown inside the lexer only, to unwind to `lexLine`; never escapes this module. */
class LexError extends Error {}

/** Lexes one line (without its line break) of an exposition. */
export function lexLine(line: string): ExpositionLine {
  try {
    return new Lexer(line).line();
  } catch (e) {
    if (e instanceof LexError) return { kind: 'error', message: e.message };
    throw e;
  }
}

/** First `n` code points of `text`, so a cut never splits a surrogate pair. */
export function firstChars(text: string, n: number): string {
  if (text.length <= n) return text;
  return Array.from(text.slice(0, 2 * n)).slice(0, n).join('');
}

/** `text` as a JSON string for an error message, cut to 60 characters so messages stay short. */
export function quoteForMessage(text: string): string {
  const cut = firstChars(text, 60);
  return JSON.stringify(cut.length < text.length ? `${cut}…` : cut);
}

/** Parses a sample value the way Go's strconv.ParseFloat does for the forms exporters write. */
export function parseSampleValue(text: string): number | undefined {
  // Go's ParseFloat refuses a literal beyond float64 (1e400) with ErrRange, and so does Prometheus.
  if (NUMBER.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }
  switch (text.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

class Lexer {
  private pos = 0;

  constructor(private readonly text: string) {}

  line(): ExpositionLine {
    this.skipBlanks();
    if (this.atEnd()) return SKIP;
    const c = this.peek();
    if (c === 0x23 /* # */) return this.comment();
    if (c === 0x7b /* { */ || isNameStart(c)) return this.sample();
    throw this.unexpected('a metric name, "{" or "#"');
  }

  private comment(): ExpositionLine {
    this.pos++;
    this.skipBlanks();
    const keyword = this.word();
    if (keyword !== 'HELP' && keyword !== 'TYPE') return SKIP;
    this.skipBlanks();
    const name = this.metricName(`a metric name after ${keyword}`);
    if (!this.atEnd() && !isBlank(this.peek())) throw this.unexpected('a space after the metric name');
    this.skipBlanks();
    if (keyword === 'HELP') return { kind: 'help', name, help: this.helpText() };
    const typeColumn = this.pos + 1;
    // Go's expfmt reads the type case-insensitively.
    const type = this.word().toLowerCase();
    if (type === '') throw this.unexpected('a metric type (counter, gauge, histogram, summary or untyped)');
    if (!TYPES.has(type)) {
      throw new LexError(
        `unknown metric type ${quoteForMessage(type)} at column ${typeColumn}; expected counter, gauge, histogram, summary or untyped`,
      );
    }
    this.expectEnd();
    return { kind: 'type', name, type: type as MetricType };
  }

  private sample(): ExpositionLine {
    let name = this.peek() === 0x7b ? undefined : this.identifier();
    if (!this.atEnd() && !isBlank(this.peek()) && this.peek() !== 0x7b) {
      throw this.unexpected('"{" or a space after the metric name');
    }
    this.skipBlanks();
    const set = this.peek() === 0x7b ? this.labelSet(name === undefined) : undefined;
    name ??= set?.name;
    if (name === undefined) throw new LexError('label set has no quoted metric name; expected {"name", ...}');
    const labels = set?.labels ?? (Object.create(null) as Record<string, string>);
    this.skipBlanks();
    const valueColumn = this.pos + 1;
    const valueText = this.word();
    if (valueText === '') throw this.unexpected('a sample value');
    const value = parseSampleValue(valueText);
    if (value === undefined) {
      throw new LexError(
        NUMBER.test(valueText)
          ? `value ${quoteForMessage(valueText)} at column ${valueColumn} is beyond the float64 range; write +Inf or -Inf for an infinite value`
          : `invalid value ${quoteForMessage(valueText)} at column ${valueColumn}; expected a number, NaN, +Inf or -Inf`,
      );
    }
    this.skipBlanks();
    // An OpenMetrics exemplar (` # {...} value`) may follow the value or the timestamp; it is ignored.
    if (this.atEnd() || this.peek() === 0x23) return { kind: 'sample', name, labels, value };
    const tsColumn = this.pos + 1;
    const tsText = this.word();
    const timestamp = INTEGER.test(tsText) ? Number(tsText) : Number.NaN;
    if (!Number.isSafeInteger(timestamp)) {
      throw new LexError(
        `invalid timestamp ${quoteForMessage(tsText)} at column ${tsColumn}; expected an integer number of milliseconds`,
      );
    }
    this.skipBlanks();
    if (!this.atEnd() && this.peek() !== 0x23) throw this.unexpected('the end of the line');
    return { kind: 'sample', name, labels, value, timestamp };
  }

  /** Reads `{...}`; a quoted string standing alone (no `=`) is the metric name when `wantName` is set. */
  private labelSet(wantName: boolean): { name?: string; labels: Record<string, string> } {
    const labels = Object.create(null) as Record<string, string>;
    let name: string | undefined;
    this.pos++;
    for (;;) {
      this.skipBlanks();
      if (this.peek() === 0x7d /* } */) break;
      const column = this.pos + 1;
      const quoted = this.peek() === 0x22;
      const key = quoted ? this.quoted('label name') : this.labelName();
      this.skipBlanks();
      if (quoted && wantName && name === undefined && (this.peek() === 0x2c || this.peek() === 0x7d)) {
        if (key === '') throw new LexError(`empty metric name at column ${column}; expected a non-empty quoted name`);
        name = key;
      } else {
        if (this.peek() !== 0x3d /* = */) throw this.unexpected('"=" after the label name');
        this.pos++;
        this.skipBlanks();
        if (this.peek() !== 0x22) throw this.unexpected('a quoted label value');
        const value = this.quoted('label value');
        if (key in labels) {
          throw new LexError(
            `duplicate label ${quoteForMessage(key)} at column ${column}; each label name may appear only once`,
          );
        }
        labels[key] = value;
      }
      this.skipBlanks();
      if (this.peek() === 0x2c /* , */) {
        this.pos++;
        continue;
      }
      if (this.peek() !== 0x7d) throw this.unexpected('"," or "}"');
      break;
    }
    this.pos++;
    return name === undefined ? { labels } : { name, labels };
  }

  private metricName(expected: string): string {
    if (this.peek() === 0x22) {
      const column = this.pos + 1;
      const name = this.quoted('metric name');
      if (name === '') throw new LexError(`empty metric name at column ${column}; expected a non-empty quoted name`);
      return name;
    }
    if (!isNameStart(this.peek())) throw this.unexpected(expected);
    return this.identifier();
  }

  private identifier(): string {
    const start = this.pos;
    while (!this.atEnd() && isNameChar(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private labelName(): string {
    const c = this.peek();
    if (c === 0x3a || !isNameStart(c)) throw this.unexpected('a label name or "}"');
    const start = this.pos;
    while (!this.atEnd() && isNameChar(this.peek()) && this.peek() !== 0x3a) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads a double-quoted string; `\\`, `\"` and `\n` are unescaped, other escapes kept as written. */
  private quoted(what: string): string {
    this.pos++;
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.atEnd()) throw this.unexpected(`a closing '"' for the ${what}`);
      const c = this.peek();
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        if (this.pos + 1 >= this.text.length) {
          this.pos++;
          throw this.unexpected(`a closing '"' for the ${what}`);
        }
        const next = this.text.charCodeAt(this.pos + 1);
        const replacement = next === 0x6e ? '\n' : next === 0x5c ? '\\' : next === 0x22 ? '"' : undefined;
        if (replacement !== undefined) {
          out += this.text.slice(start, this.pos) + replacement;
          start = this.pos + 2;
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    out += this.text.slice(start, this.pos);
    this.pos++;
    return out;
  }

  /** The rest of the line with `\\` and `\n` unescaped; other escapes (and a final lone `\`) kept as written. */
  private helpText(): string {
    const text = this.text;
    let out = '';
    let start = this.pos;
    for (let i = text.indexOf('\\', start); i !== -1 && i + 1 < text.length; i = text.indexOf('\\', i)) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x5c || next === 0x6e) {
        out += text.slice(start, i) + (next === 0x6e ? '\n' : '\\');
        start = i + 2;
      }
      i += 2;
    }
    this.pos = text.length;
    return out + text.slice(start);
  }

  /** Reads up to the next space, tab or end of line. */
  private word(): string {
    const start = this.pos;
    while (!this.atEnd() && !isBlank(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private expectEnd(): void {
    this.skipBlanks();
    if (!this.atEnd()) throw this.unexpected('the end of the line');
  }

  private skipBlanks(): void {
    while (!this.atEnd() && isBlank(this.peek())) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Char code at the cursor; NaN at the end, which matches no character test. */
  private peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  private unexpected(expected: string): LexError {
    const found = this.atEnd() ? 'end of line' : JSON.stringify(String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0));
    return new LexError(`unexpected ${found} at column ${this.pos + 1}; expected ${expected}`);
  }
}
