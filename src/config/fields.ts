import * as z from 'zod';
import { formatGoDuration, parseGoDuration } from '../go/index.js';
import { Secret } from '../base/index.js';

/** How a leaf setting is written as text (in an environment variable or a `--set` flag). */
export type LeafKind = 'string' | 'secret' | 'number' | 'integer' | 'boolean' | 'duration' | 'enum' | 'list' | 'json';

/** Records the kind of each leaf schema, so env/flag text can be coerced and documented from the schema. */
export const leafKinds = z.registry<{ kind: LeafKind; values?: readonly string[] }>();

function leaf<T extends z.ZodType>(schema: T, kind: LeafKind, values?: readonly string[]): T {
  leafKinds.add(schema, values === undefined ? { kind } : { kind, values });
  return schema;
}

export const text = (): z.ZodString => leaf(z.string({ error: 'expected a string' }), 'string');

export const nonEmpty = (): z.ZodString =>
  leaf(z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }), 'string');

export const integer = (min: number, max: number): z.ZodNumber =>
  leaf(
    z
      .number({ error: 'expected a whole number' })
      .int({ error: 'expected a whole number' })
      .min(min, { error: `expected at least ${min}` })
      .max(max, { error: `expected at most ${max}` }),
    'integer',
  );

export const ratio = (): z.ZodNumber =>
  leaf(
    z
      .number({ error: 'expected a number' })
      .gt(0, { error: 'expected a number above 0' })
      .max(1, { error: 'expected a number no greater than 1' }),
    'number',
  );

export const flag = (): z.ZodBoolean => leaf(z.boolean({ error: 'expected true or false' }), 'boolean');

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> =>
  leaf(z.enum(values, { error: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}` }), 'enum', values);

/** A Go-style duration string ("30s", "5m", "1h30m"), held as milliseconds. */
export const duration = (opts: { min?: number; max?: number } = {}) =>
  leaf(
    z
      .string({ error: 'expected a duration string such as "30s", "5m" or "1h30m"' })
      .transform((value, ctx) => {
        const ms = parseGoDuration(value.trim());
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected a duration such as "30s", "5m" or "1h30m"', input: value });
          return z.NEVER;
        }
        if (opts.min !== undefined && ms < opts.min) {
          ctx.addIssue({ code: 'custom', message: `expected at least ${formatGoDuration(opts.min)}`, input: value });
          return z.NEVER;
        }
        if (opts.max !== undefined && ms > opts.max) {
          ctx.addIssue({ code: 'custom', message: `expected at most ${formatGoDuration(opts.max)}`, input: value });
          return z.NEVER;
        }
        return ms;
      }),
    'duration',
  );

/** A secret string; parsed into a Secret so it prints as `<secret>` everywhere. */
export const secret = () =>
  leaf(
    z
      .string({ error: 'expected a string' })
      .min(1, { error: 'must not be empty' })
      .transform((value) => new Secret(value)),
    'secret',
  );

/** `host:port` with a port in 0..65535; IPv6 hosts in brackets. */
export const hostPort = (): z.ZodString =>
  leaf(
    z.string({ error: 'expected "host:port"' }).refine(
      (value) => {
        const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value);
        return m !== null && Number(m[2]) <= 65535;
      },
      { error: 'expected "host:port", e.g. "127.0.0.1:9464" or "[::1]:9464"' },
    ),
    'string',
  );

export const httpUrl = (): z.ZodString =>
  leaf(
    z.string({ error: 'expected a URL' }).refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          return false;
        }
      },
      { error: 'expected an http:// or https:// URL' },
    ).refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.username === '' && url.password === '';
        } catch {
          return true;
        }
      },
      // fetch() refuses such URLs, and a password in a URL ends up in logs: credentials have their own settings.
      { error: 'expected a URL without user:password@ (put credentials in their own settings, e.g. logs.loki.username and logs.loki.password)' },
    ),
    'string',
  );

export const stringList = <T extends z.ZodType>(item: T) =>
  leaf(z.array(item, { error: 'expected a list' }), 'list');

export const labelMap = () =>
  leaf(
    z.record(
      z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*' }),
      z.string({ error: 'expected a string label value' }),
      { error: 'expected a map of label names to values' },
    ),
    'json',
  );

/** A list of objects; set from env or flags as a JSON array. */
export const objectList = <T extends z.ZodType>(item: T) => leaf(z.array(item, { error: 'expected a list' }), 'json');
