import { describe, expect, it } from 'vitest';
import { createOidcClient } from './oidc.js';
import { loginCookieName, loginStateKey, openLoginState, safeReturnTo, sealLoginState, type LoginState } from './oidc-state.js';

const login: LoginState = { state: 'st', nonce: 'no', codeVerifier: 'ver', returnTo: '/runs', expiresAt: 1_000 };
const key = loginStateKey('client-secret', 'https://sso.example', 'keel');

describe('the OIDC login cookie', () => {
  it('opens only what was sealed with the same key, unchanged', () => {
    const sealed = sealLoginState(key, login);
    expect(openLoginState(key, sealed)).toEqual(login);
    expect(sealed).not.toContain('ver');
    expect(openLoginState(loginStateKey('another-secret', 'https://sso.example', 'keel'), sealed)).toBeUndefined();
    expect(openLoginState(loginStateKey('client-secret', 'https://sso.example', 'other-client'), sealed)).toBeUndefined();
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[flipped.length - 1]! ^= 1;
    expect(openLoginState(key, flipped.toString('base64url'))).toBeUndefined();
    expect(openLoginState(key, 'not a cookie')).toBeUndefined();
    expect(openLoginState(key, '')).toBeUndefined();
  });

  it('is named after its state, so parallel sign-ins keep their own cookies', () => {
    expect(loginCookieName('a')).not.toBe(loginCookieName('b'));
    expect(loginCookieName('a')).toMatch(/^keel_oidc_[\w-]{16}$/);
  });

  it('is refused once expired, or when the callback names another state', () => {
    let now = 0;
    const client = createOidcClient({
      issuer: 'https://sso.example', clientId: 'keel', clientSecret: 'client-secret', scopes: ['openid'], label: 'SSO', allowInsecureHttp: false, autoCreateDomains: [],
    }, () => Promise.reject(new Error('no network in this test')), () => now);
    const sealed = sealLoginState(key, login);
    expect(client.openLogin(sealed, 'st')).toEqual(login);
    expect(() => client.openLogin(sealed, 'other')).toThrow(/state does not match/);
    expect(() => client.openLogin(undefined, 'st')).toThrow(/state does not match/);
    now = 1_000;
    expect(() => client.openLogin(sealed, 'st')).toThrow(/expired/);
  });
});

describe('where a sign-in may return to', () => {
  it('keeps paths on this server', () => {
    expect(safeReturnTo('/workflows/onboarding?stage=production#runs')).toBe('/workflows/onboarding?stage=production#runs');
    expect(safeReturnTo('/')).toBe('/');
    expect(safeReturnTo('/a/../b')).toBe('/b');
  });

  it.each(['//evil.example', '//evil.example/path', 'https://evil.example/', 'http:evil.example', '/\\evil.example', '\\\\evil.example',
    'javascript:alert(1)', 'evil.example', '/\t/evil.example', '', undefined, null])('turns %j into /', (raw) => {
    expect(safeReturnTo(raw)).toBe('/');
  });
});
