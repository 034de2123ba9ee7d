// The sign-in / create-account screen (one form, two modes). Checks lengths
// with the contract's limits before asking the server, then shows whatever the
// server says as a sentence.

import { api, humanError } from './api.js';
import { $ } from './dom.js';
import { formError } from './dialogs.js';
import { charCount, hasInvisible, invisibleMessage, USERNAME_RE, PASSWORD_MIN, PASSWORD_MAX, DISPLAY_NAME_MAX } from './limits.js';

let mode = 'signin';
let onDone = () => {};
let wired = false;

/** Shows the screen; `done(profile)` runs after a successful sign-in or sign-up. */
export function showAuth(done, notice = '') {
  onDone = done;
  $('#app').hidden = true;
  $('#auth').hidden = false;
  if (!wired) wire();
  setMode(mode);
  formError($('#auth-error'), notice);
  $('#auth-password').value = '';
  $('#auth-username').focus();
}

export function hideAuth() { $('#auth').hidden = true; }

function setMode(m) {
  mode = m;
  const up = m === 'signup';
  $('#mode-signin').setAttribute('aria-pressed', String(!up));
  $('#mode-signup').setAttribute('aria-pressed', String(up));
  $('#auth-display-field').hidden = !up;
  $('#auth-title').textContent = up ? 'Create your account' : 'Welcome back';
  $('#auth-sub').textContent = up ? 'Pick a username and start chatting in seconds.' : 'Sign in to pick up where you left off.';
  $('#auth-submit').textContent = up ? 'Create account' : 'Sign in';
  $('#auth-password').autocomplete = up ? 'new-password' : 'current-password';
  formError($('#auth-error'), '');
  for (const id of ['auth-username', 'auth-password', 'auth-display']) $(`#${id}`).removeAttribute('aria-invalid');
}

function wire() {
  wired = true;
  $('#mode-signin').addEventListener('click', () => setMode('signin'));
  $('#mode-signup').addEventListener('click', () => setMode('signup'));
  $('#auth-form').addEventListener('submit', submit);
}

function invalid(id, text) {
  const el = $(`#${id}`);
  el.setAttribute('aria-invalid', 'true');
  formError($('#auth-error'), text);
  el.focus();
}

async function submit(e) {
  e.preventDefault();
  for (const id of ['auth-username', 'auth-password', 'auth-display']) $(`#${id}`).removeAttribute('aria-invalid');
  const username = $('#auth-username').value.trim().toLowerCase();
  const password = $('#auth-password').value;
  const display = $('#auth-display').value.trim();
  if (!USERNAME_RE.test(username)) {
    return invalid('auth-username', 'Usernames are 3 to 24 letters, digits or underscores, starting with a letter.');
  }
  const plen = charCount(password);
  if (plen < PASSWORD_MIN || plen > PASSWORD_MAX) {
    return invalid('auth-password', `Passwords are ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`);
  }
  if (mode === 'signup' && hasInvisible(display)) return invalid('auth-display', invisibleMessage('A display name'));
  if (mode === 'signup' && charCount(display) > DISPLAY_NAME_MAX) {
    return invalid('auth-display', `Display names are at most ${DISPLAY_NAME_MAX} characters.`);
  }
  const btn = $('#auth-submit');
  btn.disabled = true;
  formError($('#auth-error'), '');
  try {
    const body = { username, password };
    if (mode === 'signup' && display) body.display_name = display;
    const path = mode === 'signup' ? '/api/auth/register' : '/api/auth/login';
    const res = await api('POST', path, { body, quietAuth: true });
    $('#auth-password').value = '';
    onDone(res.user);
  } catch (err) {
    const text = err.code === 'invalid_credentials'
      ? 'That username and password do not match.'
      : err.code === 'rate_limited' && mode === 'signin'
        ? 'Too many failed sign-ins for this account. Please wait a few minutes and try again.'
        : humanError(err);
    formError($('#auth-error'), text);
  } finally {
    btn.disabled = false;
  }
}
