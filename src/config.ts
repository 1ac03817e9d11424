import { z } from 'zod';
import { AppError } from './domain/errors.js';
import { DEFAULT_NETWORKS, parseNetworks } from './web/network.js';

/**
 * Settings from the environment, parsed once. Flags given on the command line
 * override them. Every problem is reported at once, naming the variable.
 */
const EnvSchema = z.object({
  MNVAULT_DATA: z.string().min(1).optional(),
  CREDENTIALS_DIRECTORY: z.string().min(1).optional(),
  MNVAULT_MODE: z.enum(['production', 'development']).optional(),
  MNVAULT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  MNVAULT_HOST: z.string().min(1).optional(),
  MNVAULT_ALLOWED_NETWORKS: z.string().min(1).optional(),
  MNVAULT_PUBLIC_URL: z.string().url().optional(),
  MNVAULT_PINPAD: z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$/u, 'expected VID:PID in hex, e.g. 04d9:1203').optional(),
});

export interface Config {
  dataDir: string | undefined;
  credentialsDirectory: string | undefined;
  /** production refuses the development key and simulated devices. */
  mode: 'production' | 'development';
  port: number;
  host: string;
  /** LAN networks whose clients may connect (CIDR). */
  allowedNetworks: string[];
  publicUrl: string | undefined;
  /** The USB PIN pad to use, by VID:PID. */
  pinPad: { vendorId: number; productId: number } | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AppError('invalid', `環境変数の設定に誤りがあります:\n  ${lines.join('\n  ')}`);
  }
  const e = r.data;
  if (e.MNVAULT_ALLOWED_NETWORKS) {
    try {
      parseNetworks(e.MNVAULT_ALLOWED_NETWORKS.split(','));
    } catch (cause) {
      throw new AppError('invalid', `環境変数の設定に誤りがあります:\n  MNVAULT_ALLOWED_NETWORKS: ${(cause as Error).message}（例: 192.168.1.0/24,10.0.0.0/8）`);
    }
  }
  return {
    dataDir: e.MNVAULT_DATA,
    credentialsDirectory: e.CREDENTIALS_DIRECTORY,
    // Under systemd (a credentials directory is given) the default is production.
    mode: e.MNVAULT_MODE ?? (e.CREDENTIALS_DIRECTORY ? 'production' : 'development'),
    port: e.MNVAULT_PORT ?? 8443,
    host: e.MNVAULT_HOST ?? '0.0.0.0',
    allowedNetworks: e.MNVAULT_ALLOWED_NETWORKS ? e.MNVAULT_ALLOWED_NETWORKS.split(',').map((x) => x.trim()).filter(Boolean) : DEFAULT_NETWORKS,
    publicUrl: e.MNVAULT_PUBLIC_URL,
    pinPad: e.MNVAULT_PINPAD
      ? { vendorId: parseInt(e.MNVAULT_PINPAD.slice(0, 4), 16), productId: parseInt(e.MNVAULT_PINPAD.slice(5), 16) }
      : undefined,
  };
}
