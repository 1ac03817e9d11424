import type { RotationState } from '../vault/rotation-keys.js';
import type { MetaRepo } from './meta-repo.js';

/** vault_meta key holding the state of a vault key rotation in progress (JSON, see RotationState). */
export const ROTATION_META_KEY = 'key_rotation';

/** The rotation in progress, as recorded in vault_meta; undefined when none runs. */
export function readRotation(meta: Pick<MetaRepo, 'get'>): RotationState | undefined {
  const text = meta.get(ROTATION_META_KEY);
  return text ? (JSON.parse(text) as RotationState) : undefined;
}
