import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { UserRow, UserView } from '../domain/users.js';
import type { Vault } from './vault.js';

/**
 * The relying party: the origin browsers use for the appliance and its RP ID
 * (the host name). Both come from configuration (MNVAULT_PUBLIC_URL), never
 * from a request's Host header, so a page reached under another name cannot
 * have a credential made or used for it.
 */
export interface RelyingParty {
  rpID: string;
  origin: string;
}

const RP_NAME = 'マイナンバー金庫';
const TIMEOUT_MS = 120_000;

/** The relying party of a configured public URL, or null when there is none usable (an IP address cannot be an RP ID). */
export function relyingPartyOf(publicUrl: string | undefined): RelyingParty | null {
  if (!publicUrl) return null;
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return null;
  }
  const host = url.hostname;
  if (/^[0-9.]+$/u.test(host) || host.includes(':') || host.startsWith('[')) return null;
  // WebAuthn needs a secure context: https, or http only on localhost.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && host === 'localhost')) return null;
  return { rpID: host, origin: url.origin };
}

export async function registrationOptions(vault: Pick<Vault, 'secondFactor'>, rp: RelyingParty, user: UserView): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: rp.rpID,
    userName: user.login,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    timeout: TIMEOUT_MS,
    excludeCredentials: vault.secondFactor.credentialsOf(user.id).map((c) => ({ id: c.id, transports: c.transports })),
    // A second factor after the password: presence is enough, a PIN on the key is welcome but not required.
    authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
  });
}

/** Verifies a new credential against the challenge issued; returns it ready to store, or null when it does not verify. */
export async function verifyRegistration(rp: RelyingParty, user: UserView, challenge: string, response: unknown): Promise<{ id: string; publicKey: Buffer; counter: number; transports: string[] } | null> {
  try {
    const r = await verifyRegistrationResponse({ response: response as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpID, requireUserVerification: false });
    if (!r.verified) return null;
    const c = r.registrationInfo.credential;
    return { id: c.id, publicKey: Buffer.from(c.publicKey), counter: c.counter, transports: c.transports ?? [] };
  } catch {
    // The library throws for every malformed or mismatched response: all are a refusal.
    return null;
  }
}

export async function authenticationOptions(vault: Pick<Vault, 'secondFactor'>, rp: RelyingParty, user: UserRow): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpID,
    timeout: TIMEOUT_MS,
    userVerification: 'preferred',
    allowCredentials: vault.secondFactor.credentialsOf(user.id).map((c) => ({ id: c.id, transports: c.transports })),
  });
}

/**
 * Verifies an assertion made by one of the user's own credentials; returns
 * the credential id and its new signature counter, or null when refused
 * (unknown or another user's credential, wrong challenge or origin, bad
 * signature, a counter that went backwards).
 */
export async function verifyAuthentication(vault: Pick<Vault, 'secondFactor'>, rp: RelyingParty, user: UserRow, challenge: string, response: unknown): Promise<{ id: string; counter: number } | null> {
  const id = (response as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') return null;
  const stored = vault.secondFactor.credential(id);
  if (!stored || stored.userId !== user.id) return null;
  try {
    const r = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: { id: stored.id, publicKey: new Uint8Array(stored.publicKey), counter: stored.counter, transports: stored.transports },
      requireUserVerification: false,
    });
    return r.verified ? { id: stored.id, counter: r.authenticationInfo.newCounter } : null;
  } catch {
    return null;
  }
}
