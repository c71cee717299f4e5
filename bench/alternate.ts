import { armOrder } from './stats.js';

/**
 * Runs measured arms side by side: an optional discarded warm-up of each, then `reps` repetitions in
 * ABBA order (reversed every other repetition, so a drift in the machine's load favours no arm).
 * Returns each arm's samples in repetition order, for the caller's ratio of medians.
 */
export async function alternate<K extends string, T>(
  arms: Record<K, () => Promise<T>>,
  plan: { reps: number; warmUp?: boolean | ((arm: K) => Promise<unknown>) },
): Promise<Record<K, T[]>> {
  const names = Object.keys(arms) as K[];
  if (plan.warmUp) {
    const warmUp = plan.warmUp === true ? (arm: K) => arms[arm]() : plan.warmUp;
    for (const arm of names) await warmUp(arm);
  }
  const samples = Object.fromEntries(names.map((arm) => [arm, [] as T[]])) as Record<K, T[]>;
  for (let rep = 0; rep < plan.reps; rep++) {
    for (const arm of armOrder(names, rep)) samples[arm].push(await arms[arm]());
  }
  return samples;
}
