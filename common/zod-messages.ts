import { z } from 'zod';

/**
 * Messages a client can act on, the same at every door: a missing field "is required", a wrong
 * type says what is expected, unknown fields are named.
 */
z.config({
  customError(issue) {
    if (issue.code === 'invalid_type') return issue.input === undefined ? 'is required' : `must be a ${issue.expected}`;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    }
    // A record key that breaks its rule: say which rule, not only that the key is invalid.
    if (issue.code === 'invalid_key') {
      const inner = (issue as { issues?: Array<{ message?: string }> }).issues?.[0]?.message;
      return inner ? `the key ${inner.replace(/^keys /, '')}` : undefined;
    }
    return undefined;
  },
});
