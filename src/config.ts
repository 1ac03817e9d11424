import { z } from 'zod';
import { AppError } from './domain/errors.js';
import { passwordCost } from './vault/password.js';
import { DEFAULT_NETWORKS, parseNetworks } from './web/network.js';

/**
 * Settings from the environment, parsed once. Flags given on the command line
 * override them. Every problem is reported at once, naming the variable.
 */
const EnvSchema = z.object({
  MNVAULT_DATA: z.string().min(1).optional(),
  MNVAULT_CHROMIUM: z.string().min(1).optional(),
  CREDENTIALS_DIRECTORY: z.string().min(1).optional(),
  MNVAULT_MODE: z.enum(['production', 'development']).optional(),
  MNVAULT_DEBUG: z.enum(['0', '1'], { error: (i) => `MNVAULT_DEBUG は 1（詳細を表示）か 0 で指定してください（指定: "${String(i.input)}"）` }).optional(),
  MNVAULT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  MNVAULT_HOST: z.string().min(1).optional(),
  MNVAULT_ALLOWED_NETWORKS: z.string().min(1).optional(),
  MNVAULT_PUBLIC_URL: z.string().url().optional(),
  MNVAULT_PINPAD: z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$/u, 'expected VID:PID in hex, e.g. 04d9:1203').optional(),
  MNVAULT_DOOR_RELAY: devicePath(),
  MNVAULT_DOOR_RELAY_CHANNEL: intSetting(1, 8, 'リレーのチャンネル番号'),
  MNVAULT_DOOR_RELAY_OPEN: z.enum(['01', '00'], { error: (i) => `解錠するときの状態バイトを 01 か 00 で指定してください（指定: "${String(i.input)}"）` }).optional(),
  MNVAULT_DOOR_PULSE_MS: intSetting(100, 60_000, '解錠パルスの長さ（ミリ秒）'),
  MNVAULT_DOOR_SENSOR: devicePath(),
  MNVAULT_DOOR_SENSOR_LINE: z.enum(['cts', 'dsr', 'dcd'], { error: (i) => `扉センサーをつないだ信号線を cts・dsr・dcd のどれかで指定してください（指定: "${String(i.input)}"）` }).optional(),
  MNVAULT_DOOR_CLOSED_LEVEL: z.enum(['high', 'low'], { error: (i) => `扉が閉じているときの信号を high か low で指定してください（指定: "${String(i.input)}"）` }).optional(),
  MNVAULT_DOOR_HELD_SECONDS: intSetting(5, 3600, '開放し続けを警報するまでの秒数'),
  MNVAULT_DOOR_ENTRY_SECONDS: intSetting(5, 3600, '承認後に扉を開けてよい秒数'),
  MNVAULT_GATE_APPROVAL_SECONDS: intSetting(30, 3600, '申請が承認を待つ秒数'),
  MNVAULT_GATE_VIEW_SECONDS: intSetting(10, 600, '承認後に番号を表示する（出力をダウンロードできる）秒数'),
  MNVAULT_SYSLOG: z
    .string()
    .regex(/^(tcp|tls):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$/u, { error: (i) => `リモートsyslogの送り先を tcp://ホスト:ポート または tls://ホスト:ポート で指定してください（指定: "${String(i.input)}"）` })
    .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) >= 1 && Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, { error: 'リモートsyslogのポートは 1〜65535 で指定してください' })
    .optional(),
  MNVAULT_SYSLOG_CA: z.string().regex(/^\/[^\0]+$/u, { error: 'リモートsyslogのCA証明書（PEM）を絶対パスで指定してください' }).optional(),
  MNVAULT_SYSLOG_WITNESS: z.string().regex(/^\/[^\0]+$/u, { error: '起動時に照合するsyslogの控えのファイルを絶対パスで指定してください' }).optional(),
});

/** A serial device given by its absolute path (a udev symlink such as /dev/mnvault-relay). */
function devicePath() {
  return z
    .string()
    .regex(/^\/[^\s\0]+$/u, { error: (i) => `シリアル機器の絶対パス（例: /dev/mnvault-relay）を指定してください（指定: "${String(i.input)}"）` })
    .optional();
}

/** An integer setting within [min, max], given as decimal digits. */
function intSetting(min: number, max: number, what: string) {
  const message = (input: unknown) => `${what}は ${min}〜${max} の整数で指定してください（指定: "${String(input)}"）`;
  return z
    .string()
    .regex(/^[0-9]{1,7}$/u, { error: (i) => message(i.input) })
    .refine((v) => Number(v) >= min && Number(v) <= max, { error: (i) => message(i.input) })
    .transform(Number)
    .optional();
}

/** The remote syslog witness (MNVAULT_SYSLOG, MNVAULT_SYSLOG_CA). */
export interface SyslogConfig {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  /** PEM file of the CA that signed the receiver's certificate; the system's CAs when absent. */
  caPath: string | undefined;
}

export interface Config {
  dataDir: string | undefined;
  /** Chromium for PDF reports (default /usr/bin/chromium). */
  chromiumPath: string | undefined;
  credentialsDirectory: string | undefined;
  /** production refuses the development key and simulated devices. */
  mode: 'production' | 'development';
  /** MNVAULT_DEBUG=1: unexpected errors also show their message, number-like runs masked (refused in production). */
  debug: boolean;
  port: number;
  host: string;
  /** LAN networks whose clients may connect (CIDR). */
  allowedNetworks: string[];
  publicUrl: string | undefined;
  /** The USB PIN pad to use, by VID:PID. */
  pinPad: { vendorId: number; productId: number } | undefined;
  /** The door of the 管理区域: strike relay, reed-switch sensor and their timings. */
  door: DoorConfig;
  /** How long a request waits for approval, and how long an approved number shows (or an export can be downloaded). */
  gateWindows: { approvalMs: number; viewMs: number };
  /** Where each audit event is copied (RFC 5424 over TCP or TLS); none when undefined. */
  syslog?: SyslogConfig | undefined;
  /** A file the syslog daemon writes the forwarded events to; the chain is checked against it at start. */
  syslogWitness?: string | undefined;
}

export interface DoorConfig {
  /** The LCUS-type USB serial relay pulsing the door strike on each approval; none when undefined. */
  relayPath: string | undefined;
  /** How the relay is driven (also by the simulated door). */
  relay: { channel: number; openState: 0x00 | 0x01; pulseMs: number };
  /** The USB-serial adapter whose modem input line carries the reed switch; none when undefined. */
  sensorPath: string | undefined;
  sensor: { line: 'cts' | 'dsr' | 'dcd'; closedLevel: boolean };
  /** An open door past this raises a held-open alarm. */
  heldMs: number;
  /** After an approval the door may open for this long without a forced-open alarm. */
  entryMs: number;
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
  if (e.MNVAULT_SYSLOG_CA && !e.MNVAULT_SYSLOG?.startsWith('tls://')) {
    throw new AppError('invalid', '環境変数の設定に誤りがあります:\n  MNVAULT_SYSLOG_CA: CA証明書は MNVAULT_SYSLOG が tls://ホスト:ポート のときだけ指定できます');
  }
  // Under systemd (a credentials directory is given) the default is production.
  const mode = e.MNVAULT_MODE ?? (e.CREDENTIALS_DIRECTORY ? 'production' : 'development');
  if (e.MNVAULT_DEBUG === '1' && mode === 'production') {
    throw new AppError(
      'invalid',
      '環境変数の設定に誤りがあります:\n  MNVAULT_DEBUG: 本番モード（MNVAULT_MODE=production、または systemd の資格情報で実行）では使えません。エラーの詳細はログの参照IDでたどり、必要なら mnvault support-bundle で情報をまとめてください。',
    );
  }
  // Refuses a lowered password-hash cost anywhere but in the test runner.
  passwordCost(env);
  return {
    syslog: e.MNVAULT_SYSLOG ? parseSyslogTarget(e.MNVAULT_SYSLOG, e.MNVAULT_SYSLOG_CA) : undefined,
    syslogWitness: e.MNVAULT_SYSLOG_WITNESS,
    dataDir: e.MNVAULT_DATA,
    chromiumPath: e.MNVAULT_CHROMIUM,
    credentialsDirectory: e.CREDENTIALS_DIRECTORY,
    mode,
    debug: e.MNVAULT_DEBUG === '1',
    port: e.MNVAULT_PORT ?? 8443,
    host: e.MNVAULT_HOST ?? '0.0.0.0',
    allowedNetworks: e.MNVAULT_ALLOWED_NETWORKS ? e.MNVAULT_ALLOWED_NETWORKS.split(',').map((x) => x.trim()).filter(Boolean) : DEFAULT_NETWORKS,
    publicUrl: e.MNVAULT_PUBLIC_URL,
    pinPad: e.MNVAULT_PINPAD
      ? { vendorId: parseInt(e.MNVAULT_PINPAD.slice(0, 4), 16), productId: parseInt(e.MNVAULT_PINPAD.slice(5), 16) }
      : undefined,
    door: {
      relayPath: e.MNVAULT_DOOR_RELAY,
      relay: { channel: e.MNVAULT_DOOR_RELAY_CHANNEL ?? 1, openState: e.MNVAULT_DOOR_RELAY_OPEN === '00' ? 0x00 : 0x01, pulseMs: e.MNVAULT_DOOR_PULSE_MS ?? 3000 },
      sensorPath: e.MNVAULT_DOOR_SENSOR,
      sensor: { line: e.MNVAULT_DOOR_SENSOR_LINE ?? 'dcd', closedLevel: (e.MNVAULT_DOOR_CLOSED_LEVEL ?? 'high') === 'high' },
      heldMs: (e.MNVAULT_DOOR_HELD_SECONDS ?? 60) * 1000,
      entryMs: (e.MNVAULT_DOOR_ENTRY_SECONDS ?? 60) * 1000,
    },
    gateWindows: { approvalMs: (e.MNVAULT_GATE_APPROVAL_SECONDS ?? 300) * 1000, viewMs: (e.MNVAULT_GATE_VIEW_SECONDS ?? 60) * 1000 },
  };
}

function parseSyslogTarget(url: string, caPath: string | undefined): SyslogConfig {
  const m = /^(tcp|tls):\/\/(.+):([0-9]+)$/u.exec(url)!;
  return { protocol: m[1] as 'tcp' | 'tls', host: m[2]!.replace(/^\[(.*)\]$/u, '$1'), port: Number(m[3]), caPath };
}
