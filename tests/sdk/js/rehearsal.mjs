// The rehearsal's JavaScript side: LeanCloud's official JavaScript SDK (leancloud-storage).
//
// Environment: LC_SERVER_URL, LC_APP_ID, LC_APP_KEY, LC_OUTBOX_URL (as flow.mjs), LC_ACTION:
//   "create"  signs a user up by SMS code on LeanCloud (the emulator), sets a password,
//             and prints {"step": "create", "user": {...}} with its session token;
//   "after"   (LC_USER: that JSON) against the site after the cutover: the session it had
//             still answers users/me (AV.User.become), and the password still signs it in.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AV = require('leancloud-storage');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

AV.init({ appId: env('LC_APP_ID'), appKey: env('LC_APP_KEY'), serverURL: env('LC_SERVER_URL') });
const PHONE = '+8613700000007';
const PASSWORD = 'js-Password-7';

async function outboxCode(phone) {
  const url = `${env('LC_OUTBOX_URL')}?mobilePhoneNumber=${encodeURIComponent(phone)}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    const { messages } = await (await fetch(url)).json();
    if (messages.length) return messages[messages.length - 1].code;
    if (Date.now() > deadline) throw new Error(`no message for ${phone}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function create() {
  await AV.Cloud.requestSmsCode(PHONE);
  let user = await AV.User.signUpOrlogInWithMobilePhone(PHONE, await outboxCode(PHONE));
  user.setPassword(PASSWORD);
  await user.save();
  user = await AV.User.logInWithMobilePhone(PHONE, PASSWORD);
  const made = { kind: 'js', phone: PHONE, password: PASSWORD, object_id: user.id,
    session: user.getSessionToken() };
  console.log(JSON.stringify({ step: 'create', user: made }));
}

async function after() {
  const user = JSON.parse(env('LC_USER'));
  const me = await AV.User.become(user.session);
  if (me.id !== user.object_id) throw new Error(`become gave ${me.id}`);
  console.log(JSON.stringify({ step: 'session_kept' }));
  await AV.User.logOut();
  const signed = await AV.User.logInWithMobilePhone(user.phone, user.latest_password);
  if (signed.id !== user.object_id) throw new Error(`login gave ${signed.id}`);
  console.log(JSON.stringify({ step: 'signed_in' }));
}

await ({ create, after })[env('LC_ACTION')]();
