// Corkboard in a real browser: headless Chromium (playwright-core) signs in through a real OpenID
// Provider and through the password form, lands on the dashboard page, creates a personal access
// token on /settings/tokens, calls the API with it, signs out and checks that the old session
// cookie is refused. Started by tests/e2e/run.sh (`just e2e`), which provides the servers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/e2e/run.sh (just e2e)`);
  return value;
};

const base = env('E2E_BASE_URL');
const issuer = env('E2E_ISSUER');
const providerName = env('E2E_PROVIDER_NAME');
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
const STEP_TIMEOUT = 15_000;

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser profile that may reach loopback only (the provider's pages import a web font
 * from the Internet; this test never fetches anything from outside the machine). */
async function newPage() {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT);
  await context.route('**/*', (route) =>
    loopback.has(new URL(route.request().url()).hostname) ? route.continue() : route.abort(),
  );
  const page = await context.newPage();
  return { context, page };
}

/** GET `path` on the API with extra headers; the status and the JSON body. */
async function api(path, headers) {
  const response = await fetch(`${base}${path}`, { headers, redirect: 'manual' });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

async function sessionCookie(context) {
  const cookies = await context.cookies(base);
  const cookie = cookies.find((c) => c.name === 'corkboard_session');
  assert.ok(cookie, `no corkboard_session cookie among ${cookies.map((c) => c.name).join(', ')}`);
  assert.equal(cookie.httpOnly, true, 'the session cookie is HttpOnly');
  assert.equal(cookie.sameSite, 'Lax', 'the session cookie is SameSite=Lax');
  return `${cookie.name}=${cookie.value}`;
}

/** Creates a token on /settings/tokens and returns the secret the page shows once. */
async function createToken(page, name) {
  await page.goto(`${base}/settings/tokens`);
  await page.fill('#token-name', name);
  await page.check('input[name="scopes"][value="boards:read"]');
  await Promise.all([page.waitForURL(`${base}/settings/tokens`), page.click('button:has-text("Create token")')]);
  const secret = (await page.textContent('#new-token'))?.trim();
  assert.match(secret ?? '', /^cbp_/, 'the page shows the new token');
  return secret;
}

/** Signs out with the page's button; follows the provider's end-session confirmation when there
 * is one. Whether the browser went through the provider (RP-initiated logout). */
async function signOut(page) {
  await page.click('button:has-text("Sign out")');
  await page.waitForURL((url) => url.href.startsWith(`${base}/login`) || url.href.startsWith(issuer));
  if (!page.url().startsWith(issuer)) return false;
  await page.click('button:has-text("Yes, sign me out")');
  await page.waitForURL((url) => url.href.startsWith(`${base}/login`));
  return true;
}

test('single sign-on through the OpenID Provider, a token, the API, and sign-out', async () => {
  const { context, page } = await newPage();
  try {
    const login = await page.goto(`${base}/login`);
    const csp = login.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.ok(csp.includes(`form-action 'self' ${issuer}`), `the provider may receive the sign-out redirect: ${csp}`);

    // Choose the provider: a plain link to /auth/oidc/e2e/login, which sends us to the provider.
    await page.click(`a:has-text("Sign in with ${providerName}")`);
    await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
    // The provider's development login (any name; it becomes the subject and the name claim)…
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'any password');
    await page.click('button:has-text("Sign-in")');
    // …then its consent page.
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${base}/`);

    assert.equal((await page.textContent('#user-name'))?.trim(), 'alice', 'the dashboard names the user');
    assert.match(await page.textContent('h1'), /Hello, alice/);
    const cookie = await sessionCookie(context);

    const secret = await createToken(page, 'e2e sso token');
    const me = await api('/api/v1/me', { authorization: `Bearer ${secret}` });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.auth, 'token');
    assert.equal(me.body.user.email, 'alice@corkboard.test');
    assert.equal(me.body.user.display_name, 'alice');
    const bySession = await api('/api/v1/me', { cookie });
    assert.equal(bySession.status, 200, 'the session cookie works on the API too');
    assert.equal(bySession.body.user.id, me.body.user.id);

    assert.equal(await signOut(page), true, "signing out goes through the provider's end-session endpoint");
    const old = await api('/api/v1/me', { cookie });
    assert.equal(old.status, 401, `the old cookie is refused after sign-out: ${JSON.stringify(old.body)}`);
    const home = await page.goto(`${base}/`);
    assert.ok(page.url().startsWith(`${base}/login`), `signed out, / goes to the sign-in page (got ${page.url()})`);
    assert.equal(home.status(), 200);
    const stillToken = await api('/api/v1/me', { authorization: `Bearer ${secret}` });
    assert.equal(stillToken.status, 200, 'tokens outlive the session that created them');
  } finally {
    await context.close();
  }
});

test('the password form signs in, the token works, and sign-out ends the session', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(`${base}/settings/tokens`);
    assert.ok(page.url().startsWith(`${base}/login?next=`), `signed out, a page asks to sign in (got ${page.url()})`);
    await page.fill('#email', env('E2E_ADMIN_EMAIL'));
    await page.fill('#password', env('E2E_ADMIN_PASSWORD'));
    await Promise.all([page.waitForURL(`${base}/settings/tokens`), page.click('button:has-text("Sign in")')]);
    assert.equal((await page.textContent('#user-name'))?.trim(), env('E2E_ADMIN_NAME'));
    const cookie = await sessionCookie(context);

    const secret = await createToken(page, 'e2e password token');
    const me = await api('/api/v1/me', { authorization: `Bearer ${secret}` });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user.email, env('E2E_ADMIN_EMAIL'));

    await page.goto(`${base}/`);
    assert.equal(await signOut(page), false, 'a password session signs out here only');
    const old = await api('/api/v1/me', { cookie });
    assert.equal(old.status, 401, 'the old cookie is refused after sign-out');
  } finally {
    await context.close();
  }
});
