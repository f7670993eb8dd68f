// A development OpenID Provider for the compose stack, on the certified `oidc-provider` package.
// Its built-in login page accepts any user name (and any password): the name becomes the
// subject, and `<name>@corkboard.test` (or the name itself when it holds an `@`) the verified
// email. Never expose it outside a development machine. The browser end-to-end test
// (tests/e2e, `just e2e`) runs this same provider on loopback.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] || fallback;

const issuer = env('OIDC_ISSUER', 'http://oidc:9090');
const port = Number(env('OIDC_PORT', '9090'));
// Every interface by default (the compose network); the end-to-end test binds loopback only.
const host = env('OIDC_HOST', undefined);
const publicUrl = env('CORKBOARD_PUBLIC_URL', 'http://localhost:8080').replace(/\/$/, '');
const providerId = env('CORKBOARD_OIDC_PROVIDER_ID', 'dev');

// A fresh signing key at every start: the relying party must follow JWKS rotation anyway.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex') };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('OIDC_CLIENT_ID', 'corkboard'),
      client_secret: env('OIDC_CLIENT_SECRET', 'corkboard-dev-secret'),
      redirect_uris: [`${publicUrl}/auth/oidc/${providerId}/callback`],
      post_logout_redirect_uris: [`${publicUrl}/login`],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // Scope claims in the ID token too, not only at the userinfo endpoint.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(_ctx, id) {
    const email = id.includes('@') ? id : `${id}@corkboard.test`;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: true, name: id };
      },
    };
  },
});

provider.listen(port, host, () => {
  console.log(`development OpenID Provider: issuer ${issuer}, listening on ${host ?? ''}:${port}`);
});
