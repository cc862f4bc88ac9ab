// A real OpenID provider for tests: the certified `oidc-provider` package listening on 127.0.0.1
// (a random port), with a confidential client for Keel and accounts the test controls. The login
// and consent interaction is answered programmatically (provider.interactionFinished), the way a
// provider's own login page would, and a tiny cookie jar plays the browser's part.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  email?: string;
  email_verified?: unknown;
  name?: string;
}

export interface TestIssuer {
  /** The issuer URL, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** `127.0.0.1:<port>`, for egress.allowHosts. */
  host: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by id; a sign-in names the account it logs in as. */
  accounts: Map<string, TestAccount>;
  /** Who a real browser logs in as at the provider's login page (its URL names nobody). */
  browserAccount?: string;
  /** Creates the provider with Keel's client, once Keel's callback URL is known. */
  register(redirectUri: string): void;
  /**
   * Plays the browser at the provider: follows the authorization URL through the login and
   * consent interaction as `account` (or cancels it), and returns the URL the provider sends
   * the browser back to (Keel's callback with code and state).
   */
  authorize(authorizationUrl: string, as: { account: string } | { cancel: true }): Promise<URL>;
  close(): Promise<void>;
}

export interface TestIssuerOptions {
  /** Put email claims in the ID token itself; by default the provider keeps them for userinfo, as the spec asks. */
  claimsInIdToken?: boolean;
}

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  let handler: http.RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('not registered yet');
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const accounts = new Map<string, TestAccount>();
  const clientId = 'keel';
  const clientSecret = 'test-client-secret-4f1c9a7e2b';
  // Our own signing key, so the provider does not fall back to its development keys.
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const self: TestIssuer = {
    issuer, host: `127.0.0.1:${port}`, clientId, clientSecret, accounts,

    register(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], response_types: ['code'], grant_types: ['authorization_code'] }],
        cookies: { keys: ['test-cookie-key'] },
        jwks: { keys: [{ ...signingKey, use: 'sig', kid: 'test' }] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        conformIdTokenClaims: !options.claimsInIdToken,
        ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        async findAccount(_ctx, id) {
          const account = accounts.get(id);
          if (!account) return undefined;
          return { accountId: id, claims: () => ({ sub: id, ...account }) };
        },
      });
      const oidc = provider.callback();
      handler = (req, res) => {
        const url = new URL(req.url ?? '/', issuer);
        if (!url.pathname.startsWith('/interaction/')) return oidc(req, res);
        if (!url.searchParams.has('account') && !url.searchParams.has('cancel') && self.browserAccount) url.searchParams.set('account', self.browserAccount);
        void interact(provider, req, res, url).catch((error: unknown) => {
          res.statusCode = 500;
          res.end(String(error));
        });
      };
    },

    async authorize(authorizationUrl, as) {
      const jar = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop++) {
        if (url.origin !== issuer) return url;
        if (url.pathname.startsWith('/interaction/')) {
          if ('cancel' in as) url.searchParams.set('cancel', '1');
          else url.searchParams.set('account', as.account);
        }
        const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
        for (const line of res.headers.getSetCookie()) {
          const [pair = ''] = line.split(';');
          const at = pair.indexOf('=');
          const name = pair.slice(0, at);
          const value = pair.slice(at + 1);
          if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
          else jar.set(name, value);
        }
        const location = res.headers.get('location');
        if (res.status < 300 || res.status > 303 || !location) throw new Error(`the provider answered ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 300)}`);
        url = new URL(location, url);
      }
      throw new Error('too many redirects at the provider');
    },

    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return self;
}

/** The provider's login page, answered at once: log in as `account` and consent to every scope asked, or cancel. */
async function interact(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (url.searchParams.get('cancel')) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' }, { mergeWithLastSubmission: false });
    return;
  }
  const accountId = url.searchParams.get('account') ?? '';
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}
