/** `npm run test:chaos` runs the full scenarios; inside `npm test` they run reduced. */
export const FULL = process.env.CHAOS_SCALE === 'full';
export const scaled = (quick: number, full: number): number => (FULL ? full : quick);
