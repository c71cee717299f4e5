/** An error and the causes it wraps, outermost first (bounded: a cycle or a deep chain ends the walk). */
export function* errorChain(err: unknown, depth = 6): Generator<unknown> {
  for (let e: unknown = err, seen = 0; e && seen < depth; e = (e as { cause?: unknown }).cause, seen++) yield e;
}
