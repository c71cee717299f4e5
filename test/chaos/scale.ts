import { parseToolConfig } from '../../common/config.js';

/** `npm run test:chaos` runs the full scenarios; inside `npm test` they run reduced. */
export const FULL = parseToolConfig().CHAOS_SCALE === 'full';
export const scaled = (quick: number, full: number): number => (FULL ? full : quick);
