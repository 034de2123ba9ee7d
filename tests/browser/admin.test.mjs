// Room administration controls appear only for those allowed: the owner sees
// settings, member management and delete; a moderator sees settings and can
// moderate members but not change roles or delete; a member sees none of it.
// Kicking shows the kicked person a sentence and takes them out of the room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './lib.mjs';
import { openPage, signUp, createRoom, joinByUrl, send, message, uniq } from './ui.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('admin controls show only for the owner and moderators', async () => {
  const o = await openPage(browser);
  const m = await openPage(browser);
  const x = await openPage(browser);
  await signUp(o.page, 'own', 'Olivia');
  const mod = await signUp(m.page, 'mem', 'Max');
  const third = await signUp(x.page, 'thr', 'Theo');
  const room = uniq('adm-');
  await createRoom(o.page, room);
  await joinByUrl(m.page, room);
  await joinByUrl(x.page, room);

  // A plain member: no settings, no member management, only "About".
  await m.page.getByRole('button', { name: 'About this room' }).waitFor();
  assert.equal(await m.page.getByRole('button', { name: 'Room settings' }).count(), 0);
  assert.equal(await m.page.getByRole('button', { name: /^Manage / }).count(), 0);
  await m.page.getByRole('button', { name: 'About this room' }).click();
  const about = m.page.getByRole('dialog', { name: `About #${room}` });
  await about.getByRole('button', { name: 'Leave room' }).waitFor();
  for (const label of ['Save changes', 'Invite', 'Ban', 'Delete room']) {
    assert.equal(await about.getByRole('button', { name: label, exact: true }).count(), 0, `member sees no ${label}`);
  }
  await m.page.keyboard.press('Escape');
  await about.waitFor({ state: 'detached' });
  // A member can delete only their own messages.
  await send(x.page, 'a message by Theo');
  const theirs = message(m.page, 'a message by Theo');
  await theirs.hover();
  assert.equal(await theirs.getByRole('button', { name: 'Delete' }).isVisible(), false);

  // The owner: settings with everything, and management for each member.
  await o.page.getByRole('button', { name: 'Room settings' }).click();
  const settings = o.page.getByRole('dialog', { name: `Settings for #${room}` });
  for (const label of ['Save changes', 'Invite', 'Ban', 'Unban', 'Delete room']) {
    await settings.getByRole('button', { name: label, exact: true }).waitFor();
  }
  await settings.getByLabel('Topic').fill('Now with a topic');
  await settings.getByRole('button', { name: 'Save changes' }).click();
  await settings.waitFor({ state: 'detached' });
  await m.page.getByText('Now with a topic').first().waitFor();
  await o.page.getByRole('button', { name: 'Manage Max' }).click();
  await o.page.getByRole('dialog', { name: 'Manage Max' }).getByRole('button', { name: 'Make moderator' }).click();

  // Max is now a moderator: settings appear live, but no role changes or delete.
  await m.page.getByRole('button', { name: 'Room settings' }).waitFor();
  await m.page.getByRole('button', { name: 'Manage Theo' }).waitFor();
  assert.equal(await m.page.getByRole('button', { name: 'Manage Olivia' }).count(), 0, 'moderators cannot act on the owner');
  await m.page.getByRole('button', { name: 'Manage Theo' }).click();
  const menu = m.page.getByRole('dialog', { name: 'Manage Theo' });
  await menu.getByRole('button', { name: 'Kick' }).waitFor();
  assert.equal(await menu.getByRole('button', { name: 'Make moderator' }).count(), 0);
  await m.page.keyboard.press('Escape');
  await m.page.getByRole('button', { name: 'Room settings' }).click();
  const modSettings = m.page.getByRole('dialog', { name: `Settings for #${room}` });
  await modSettings.getByRole('button', { name: 'Invite' }).waitFor();
  assert.equal(await modSettings.getByRole('button', { name: 'Delete room' }).count(), 0);
  await m.page.keyboard.press('Escape');
  // A moderator may delete anyone's message.
  const theirsNow = message(m.page, 'a message by Theo');
  await theirsNow.hover();
  await theirsNow.getByRole('button', { name: 'Delete' }).waitFor();

  // The moderator kicks Theo: Theo is told, in a sentence, and leaves the room view.
  await m.page.getByRole('button', { name: 'Manage Theo' }).click();
  await m.page.getByRole('dialog', { name: 'Manage Theo' }).getByRole('button', { name: 'Kick' }).click();
  await m.page.getByRole('dialog', { name: 'Kick Theo?' }).getByRole('button', { name: 'Kick' }).click();
  await x.page.getByText(`You are no longer a member of #${room}.`).first().waitFor();
  await x.page.waitForURL((u) => u.pathname === '/');
  assert.equal(await x.page.getByRole('link', { name: room }).count(), 0);
  assert.ok(!(await o.page.locator('.members').textContent()).includes('Theo'));
  void mod; void third;
  for (const p of [o, m, x]) assert.deepEqual(p.page.errors, []);
  for (const p of [o, m, x]) await p.context.close();
});

test('private rooms: invite by username, join from the link, ban and unban', async () => {
  const o = await openPage(browser);
  const g = await openPage(browser);
  await signUp(o.page, 'prv', 'Pat');
  const guest = await signUp(g.page, 'gst', 'Gus');
  const room = uniq('secret-');
  await createRoom(o.page, room, { visibility: 'private' });

  // Not invited yet: the room is private (no leak of its details).
  await g.page.goto(`/rooms/${room}`);
  await g.page.getByRole('heading', { name: /is (private|not available)/ }).waitFor();

  // The owner invites Gus from the settings dialog.
  await o.page.getByRole('button', { name: 'Room settings' }).click();
  const settings = o.page.getByRole('dialog', { name: `Settings for #${room}` });
  await settings.getByLabel('Username').first().fill(guest.toUpperCase());
  await settings.getByRole('button', { name: 'Invite', exact: true }).click();
  await settings.getByText(`Invited @${guest}`).waitFor();
  await o.page.keyboard.press('Escape');

  // Gus opens the link and joins.
  await g.page.goto(`/rooms/${room}`);
  await g.page.getByRole('button', { name: `Join #${room}` }).click();
  await g.page.getByRole('textbox', { name: `Message #${room}` }).waitFor();
  await send(g.page, 'thanks for the invite');
  await message(o.page, 'thanks for the invite').waitFor();

  // Banned: Gus is told in a sentence and cannot come back.
  await o.page.getByRole('button', { name: 'Manage Gus' }).click();
  await o.page.getByRole('dialog', { name: 'Manage Gus' }).getByRole('button', { name: 'Ban' }).click();
  await o.page.getByRole('dialog', { name: 'Ban Gus?' }).getByRole('button', { name: 'Ban' }).click();
  await g.page.getByText(`You are no longer a member of #${room}.`).first().waitFor();
  await g.page.goto(`/rooms/${room}`);
  await g.page.getByRole('heading', { name: `You are banned from #${room}` }).waitFor();

  // Unban by username; a new invitation lets Gus back in.
  await o.page.getByRole('button', { name: 'Room settings' }).click();
  const s2 = o.page.getByRole('dialog', { name: `Settings for #${room}` });
  await s2.locator('#ban-user').fill(guest);
  await s2.getByRole('button', { name: 'Unban' }).click();
  await s2.getByText(`@${guest} is no longer banned.`).waitFor();
  await s2.locator('#invite-user').fill(guest);
  await s2.getByRole('button', { name: 'Invite', exact: true }).click();
  await s2.getByText(`Invited @${guest}`).waitFor();
  await o.page.keyboard.press('Escape');
  await g.page.goto(`/rooms/${room}`);
  await g.page.getByRole('button', { name: `Join #${room}` }).click();
  await message(g.page, 'thanks for the invite').waitFor();
  for (const p of [o, g]) assert.deepEqual(p.page.errors, []);
  for (const p of [o, g]) await p.context.close();
});
