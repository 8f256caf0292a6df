// Drives LeanCloud's official JavaScript SDK (leancloud-storage, pinned in package.json)
// through every phone flow against a LeanCloud-compatible server.
//
// Environment:
//   LC_SERVER_URL  the server's base URL (no /1.1), given to AV.init as serverURL
//   LC_APP_ID, LC_APP_KEY
//   LC_OUTBOX_URL  GET <url>?mobilePhoneNumber=<phone> answers {"messages": [{"code": ...}, ...]},
//                  oldest first (the emulator's /emulator/v1/messages)
//   LC_CLOCK_URL   optional: POST {"advance": 61} moves the server's clock past the per-number
//                  SMS limits (the emulator's /emulator/v1/clock); without it the flow waits 61 s
//   LC_FLOW_TARGET optional: "emulator" (the default) or "site", the Django site's compat
//                  endpoints, which refuse a sign-up without an SMS code (119): there the
//                  username sign-up is refused, then repeated with the number's smsCode, and
//                  the verify step sees a verified number get no code, then verifies the
//                  number of a user imported from a LeanCloud export (the site signs up no
//                  unverified user itself)
//   LC_IMPORTED_PHONE, LC_IMPORTED_PASSWORD  with LC_FLOW_TARGET=site: that imported user
//
// Prints one JSON line per step: {"step", "ok", "calls": [SDK calls], "requests": [what went on
// the wire], ...facts}. When an SDK call is refused for a reason that is the server's and not
// the flow's, the line says so in "sdk_refused" and the step repeats the request with the
// field the server asked for through the SDK's own AV.request (see the report in
// docs/emulator.md). Exits non-zero at the first step that does not behave.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AV = require('leancloud-storage');
const { getAdapter } = require('leancloud-storage/dist/node/adapter');
const SDK_VERSION = require('leancloud-storage/package.json').version;

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const SERVER_URL = env('LC_SERVER_URL');
const OUTBOX_URL = env('LC_OUTBOX_URL');
const CLOCK_URL = process.env.LC_CLOCK_URL || '';
const SITE = (process.env.LC_FLOW_TARGET || 'emulator') === 'site';

// One number per flow keeps the per-number limits apart; the first number also takes the
// login and reset codes, after the clock has moved.
const PHONE = '+8613800138000';
const NEW_PHONE = '+8613900139000';
const OTHER_PHONE = '+8613700137000';
const IMPORTED_PHONE = SITE ? env('LC_IMPORTED_PHONE') : '';

// --- wire log --------------------------------------------------------------------------------

let wire = [];
const sdkRequest = getAdapter('request');
AV.setAdapters({
  request: async (url, options) => {
    const parsed = new URL(url);
    const entry = {
      method: options.method,
      path: parsed.pathname + parsed.search,
      body: options.data && typeof options.data === 'object' ? Object.keys(options.data).sort() : [],
      session: Boolean(options.headers && options.headers['X-LC-Session']),
    };
    wire.push(entry);
    const response = await sdkRequest(url, options);
    entry.status = response.status;
    // a copy: the SDK rewrites the error object it is given
    if (!response.ok) entry.answer = JSON.parse(JSON.stringify(response.data ?? null));
    return response;
  },
});

function step(name, calls, facts = {}) {
  const line = { step: name, ok: true, calls, requests: wire, ...facts };
  wire = [];
  console.log(JSON.stringify(line));
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function expectError(code, promise) {
  try {
    await promise;
  } catch (error) {
    check(error.code === code, `expected LeanCloud code ${code}, got ${error.code}: ${error.message}`);
    return error;
  }
  throw new Error(`expected LeanCloud code ${code}, got success`);
}

// --- the test server's side doors ------------------------------------------------------------

// Messages read so far, per number: the site sends login, reset and verification codes
// outside the request that asked for them (no answer's timing tells who has an account), so
// a code may arrive a moment after the SDK call returns; wait for it as a person would.
const read = new Map();

async function outboxCode(phone, timeoutMs = 10000) {
  const url = `${OUTBOX_URL}?mobilePhoneNumber=${encodeURIComponent(phone)}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url);
    check(response.ok, `outbox answered ${response.status}`);
    const { messages } = await response.json();
    if (messages.length > (read.get(phone) ?? 0)) {
      read.set(phone, messages.length);
      return messages[messages.length - 1].code;
    }
    check(Date.now() < deadline, `no new message for ${phone}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function advance(seconds) {
  if (!CLOCK_URL) {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return;
  }
  const response = await fetch(CLOCK_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ advance: seconds }),
  });
  check(response.ok, `clock answered ${response.status}`);
}

// Runs an SDK call; if the server refuses it with `refusedCode` (a field the SDK does not send
// is missing), records the refusal and repeats the request with `fallback`.
async function sdkOrFallback(call, refusedCode, fallback) {
  try {
    return { result: await call(), facts: {} };
  } catch (error) {
    if (error.code !== refusedCode) throw error;
    const refused = wire[wire.length - 1];
    const facts = {
      sdk_refused: { code: error.code, error: error.rawMessage, request: refused },
    };
    return { result: await fallback(), facts };
  }
}

// --- the flows -------------------------------------------------------------------------------

async function main() {
  AV.init({ appId: env('LC_APP_ID'), appKey: env('LC_APP_KEY'), serverURL: SERVER_URL });
  step('init', ['AV.init'], { sdk_version: SDK_VERSION });

  // Sign-up by SMS code, after a wrong code.
  await AV.Cloud.requestSmsCode(PHONE);
  step('request_sms_code', ['AV.Cloud.requestSmsCode']);

  const code = await outboxCode(PHONE);
  const wrong = code === '000000' ? '111111' : '000000';
  const error = await expectError(603, AV.User.signUpOrlogInWithMobilePhone(PHONE, wrong));
  step('wrong_code', ['AV.User.signUpOrlogInWithMobilePhone'], {
    code: error.code,
    error: error.rawMessage,
  });

  let user = await AV.User.signUpOrlogInWithMobilePhone(PHONE, code);
  const userId = user.id;
  check(Boolean(user.getSessionToken()), 'no session token after sign-up');
  check(user.getMobilePhoneNumber() === PHONE, `phone ${user.getMobilePhoneNumber()}`);
  check(user.get('mobilePhoneVerified') === true, 'phone not verified after sign-up');
  check(AV.User.current()?.id === userId, 'sign-up did not make the user current');
  step('signup_with_code', ['AV.User.signUpOrlogInWithMobilePhone'], {
    object_id: userId,
    phone: user.getMobilePhoneNumber(),
    verified: user.get('mobilePhoneVerified'),
  });

  // A phone sign-up has no password: set one, then log in with it.
  user.setPassword('first-password');
  await user.save();
  step('set_password', ['AV.User#setPassword', 'AV.User#save'], { object_id: user.id });
  await AV.User.logOut();

  user = await AV.User.logInWithMobilePhone(PHONE, 'first-password');
  check(user.id === userId, 'password login found another user');
  step('login_with_password', ['AV.User.logInWithMobilePhone'], { object_id: user.id });

  // The session token alone brings the user back; the current user fetches itself.
  const token = user.getSessionToken();
  await AV.User.logOut();
  check(AV.User.current() === null, 'logOut left a current user');
  user = await AV.User.become(token);
  check(user.id === userId && AV.User.current()?.id === userId, 'become lost the user');
  check(user.getSessionToken() === token, 'become changed the session token');
  const authenticated = await AV.User.current().isAuthenticated();
  check(authenticated === true, 'isAuthenticated said no');
  const fetched = await AV.User.current().fetch();
  check(fetched.getMobilePhoneNumber() === PHONE, `fetched phone ${fetched.getMobilePhoneNumber()}`);
  step('become_and_fetch', ['AV.User.become', 'AV.User#isAuthenticated', 'AV.User#fetch'], {
    object_id: fetched.id,
    phone: fetched.getMobilePhoneNumber(),
  });
  await AV.User.logOut();

  // Login by SMS code.
  await advance(61);
  await AV.User.requestLoginSmsCode(PHONE);
  user = await AV.User.logInWithMobilePhoneSmsCode(PHONE, await outboxCode(PHONE));
  check(user.id === userId, 'SMS login found another user');
  step('login_with_sms_code', ['AV.User.requestLoginSmsCode', 'AV.User.logInWithMobilePhoneSmsCode'], {
    object_id: user.id,
  });
  await AV.User.logOut();

  // Password reset by SMS code.
  await advance(61);
  await AV.User.requestPasswordResetBySmsCode(PHONE);
  const resetCode = await outboxCode(PHONE);
  const reset = await sdkOrFallback(
    () => AV.User.resetPasswordBySmsCode(resetCode, 'second-password'),
    212,
    () =>
      AV.request({
        method: 'PUT',
        path: `/resetPasswordBySmsCode/${resetCode}`,
        data: { password: 'second-password', mobilePhoneNumber: PHONE },
      }),
  );
  const stale = await expectError(210, AV.User.logInWithMobilePhone(PHONE, 'first-password'));
  user = await AV.User.logInWithMobilePhone(PHONE, 'second-password');
  check(user.id === userId, 'login after reset found another user');
  step(
    'reset_password',
    [
      'AV.User.requestPasswordResetBySmsCode',
      'AV.User.resetPasswordBySmsCode',
      'AV.User.logInWithMobilePhone',
    ],
    { object_id: user.id, old_password_code: stale.code, ...reset.facts },
  );

  // Change the phone of the signed-in user.
  await AV.User.requestChangePhoneNumber(NEW_PHONE);
  await AV.User.changePhoneNumber(NEW_PHONE, await outboxCode(NEW_PHONE));
  user = await AV.User.current().fetch();
  check(user.getMobilePhoneNumber() === NEW_PHONE, `phone after change ${user.getMobilePhoneNumber()}`);
  check(user.get('mobilePhoneVerified') === true, 'changed phone not verified');
  step('change_phone', ['AV.User.requestChangePhoneNumber', 'AV.User.changePhoneNumber', 'AV.User#fetch'], {
    object_id: user.id,
    phone: user.getMobilePhoneNumber(),
    verified: user.get('mobilePhoneVerified'),
  });
  await AV.User.logOut();

  // A user who signed up with a username gets a phone, unverified, and verifies it.
  const other = new AV.User();
  other.setUsername('js-sdk-user');
  other.setPassword('js-sdk-password');
  other.setMobilePhoneNumber(OTHER_PHONE);
  if (SITE) {
    // The site signs nobody up without a proven number: refused, then with the number's code.
    const refused = await expectError(119, other.signUp());
    await AV.Cloud.requestSmsCode(OTHER_PHONE);
    other.set('smsCode', await outboxCode(OTHER_PHONE));
    await other.signUp();
    check(other.get('mobilePhoneVerified') === true, 'code sign-up came back unverified');
    check(other.getUsername() === 'js-sdk-user', `username ${other.getUsername()}`);
    step('signup_with_username', ['AV.User#signUp', 'AV.Cloud.requestSmsCode', 'AV.User#signUp'], {
      object_id: other.id,
      phone: other.getMobilePhoneNumber(),
      verified: other.get('mobilePhoneVerified'),
      refused_code: refused.code,
    });
    // A verified number gets no verification code; the answer is the same {}.
    await advance(61);
    await AV.User.requestMobilePhoneVerify(OTHER_PHONE);
    await AV.User.logOut();
    // A user from LeanCloud's export, whose number was never verified, verifies it.
    const imported = await AV.User.logInWithMobilePhone(IMPORTED_PHONE, env('LC_IMPORTED_PASSWORD'));
    check(imported.get('mobilePhoneVerified') === false, 'the imported number came verified');
    await AV.User.requestMobilePhoneVerify(IMPORTED_PHONE);
    await AV.User.verifyMobilePhone(await outboxCode(IMPORTED_PHONE));
    const fetchedImported = await AV.User.current().fetch();
    check(fetchedImported.id === imported.id, 'the current user changed');
    check(fetchedImported.get('mobilePhoneVerified') === true, 'phone not verified after verify');
    step(
      'verify_phone',
      [
        'AV.User.requestMobilePhoneVerify',
        'AV.User.logInWithMobilePhone',
        'AV.User.requestMobilePhoneVerify',
        'AV.User.verifyMobilePhone',
        'AV.User#fetch',
      ],
      { object_id: fetchedImported.id, verified: fetchedImported.get('mobilePhoneVerified') },
    );
    await AV.User.logOut();
    step('done', []);
    return;
  }
  await other.signUp();
  check(other.get('mobilePhoneVerified') !== true, 'username sign-up came back verified');
  step('signup_with_username', ['AV.User#signUp'], {
    object_id: other.id,
    phone: other.getMobilePhoneNumber(),
    verified: other.get('mobilePhoneVerified') ?? null,
  });

  await AV.User.requestMobilePhoneVerify(OTHER_PHONE);
  const verifyCode = await outboxCode(OTHER_PHONE);
  const verify = await sdkOrFallback(
    () => AV.User.verifyMobilePhone(verifyCode),
    212,
    () =>
      AV.request({
        method: 'POST',
        path: `/verifyMobilePhone/${verifyCode}`,
        data: { mobilePhoneNumber: OTHER_PHONE },
      }),
  );
  const verified = await AV.User.current().fetch();
  check(verified.id === other.id, 'the current user changed');
  check(verified.get('mobilePhoneVerified') === true, 'phone not verified after verify');
  step(
    'verify_phone',
    ['AV.User.requestMobilePhoneVerify', 'AV.User.verifyMobilePhone', 'AV.User#fetch'],
    { object_id: verified.id, verified: verified.get('mobilePhoneVerified'), ...verify.facts },
  );
  await AV.User.logOut();
  step('done', []);
}

main().catch((error) => {
  const failure = {
    step: 'failed',
    ok: false,
    code: error.code ?? null,
    error: error.rawMessage ?? error.message,
    requests: wire,
    stack: error.stack,
  };
  console.log(JSON.stringify(failure));
  process.exit(1);
});
