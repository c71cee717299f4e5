import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { issueApiKey, merchantForKey } from '../api/merchants.js';
import type { Database } from '../db/client.js';
import { DEMO_MERCHANT_ID } from '../db/schema.js';

/**
 * The demo merchant's key for the embedded mode. Keys are stored only hashed, so the one shown in
 * the banner is kept in DATA_DIR (local, git-ignored) to be shown again at the next start.
 */
export async function ensureDemoKey(db: Database, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'demo-api-key');
  if (existsSync(file)) {
    const key = (await readFile(file, 'utf8')).trim();
    if ((await merchantForKey(db, key)) === DEMO_MERCHANT_ID) return key;
  }
  const { key } = await issueApiKey(db, DEMO_MERCHANT_ID);
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}
