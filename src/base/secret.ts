import { inspect } from 'node:util';

const REDACTED = '<secret>';

/**
 * A value that must never be printed. Every way of turning it into text (String(), template literals,
 * JSON.stringify, util.inspect, console.log) gives `<secret>`; only `reveal()` gives the value, and only
 * the code that hands it to cloudflared or the API client should call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value === '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export { REDACTED };
