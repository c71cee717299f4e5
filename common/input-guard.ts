/**
 * What a JSON parser accepts but the store refuses or corrupts, checked on the raw input of every
 * call before any schema sees it: Postgres `text` and `jsonb` refuse the NUL character, and a lone
 * UTF-16 surrogate is silently replaced on its way to UTF-8. Nesting is bounded too, since schemas,
 * hashing and JSON.stringify recurse and a deep enough value overflows the stack.
 */
export const MAX_INPUT_DEPTH = 32;

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text from outside (a webhook receiver's reply) made storable: each offending unit becomes U+FFFD. */
export function storableText(text: string): string {
  return text.replace(new RegExp(UNSTORABLE.source, 'g'), '\uFFFD');
}

export interface InputProblem {
  path: Array<string | number>;
  message: string;
}

/** The first problem found, walking iteratively (the walk itself must not overflow). */
export function unstorableInput(input: unknown): InputProblem | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: input, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return { path, message: describe(value) };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (path.length >= MAX_INPUT_DEPTH) return { path, message: `is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return { path: [...path, key], message: `its key ${describe(key)}` };
      // JSON.parse makes it an ordinary key, but every object API treats it as the prototype: it would vanish.
      if (key === '__proto__') return { path, message: 'the key __proto__ is not allowed' };
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}

function describe(text: string): string {
  return text.includes('\u0000')
    ? 'contains a NUL character (\\u0000), which cannot be stored'
    : 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
}
