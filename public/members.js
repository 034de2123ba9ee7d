// The member list of the open room: online first, role badges, presence dots,
// and (only for those allowed) a per-member moderation menu.

import { h, clear, iconButton } from './dom.js';
import { displayName, avatarUrl, profileOf } from './profiles.js';

const ROLE_ORDER = { owner: 0, moderator: 1, member: 2 };

/** Can someone with `myRole` kick/ban `target`? (contract §4; the server decides). */
export function canModerate(myRole, targetRole, self) {
  if (self) return false;
  if (myRole === 'owner') return targetRole !== 'owner';
  if (myRole === 'moderator') return targetRole === 'member';
  return false;
}

/** Builds the panel; call `render()` when members change. */
export function createMemberPanel({ store, me, onProfile, onManage }) {
  const heading = h('h2', { class: 'panel-title', id: 'members-heading' }, 'Members');
  const body = h('div', { class: 'member-groups' });
  const el = h('section', { class: 'members', id: 'members-panel', aria: { labelledby: 'members-heading' } },
    h('div', { class: 'panel-head' }, heading), body);

  function row(m) {
    profileOf(m.username);
    const name = displayName(m.username);
    const allowed = canModerate(store.role, m.role, m.username === me) || (store.role === 'owner' && m.username !== me);
    return h('li', { class: `member${m.online ? ' online' : ''}`, data: { user: m.username } },
      h('button', { type: 'button', class: 'member-btn', data: { profile: m.username }, aria: { label: `${name}, ${m.online ? 'online' : 'offline'}${m.role !== 'member' ? `, ${m.role}` : ''}` } },
        h('span', { class: 'avatar-wrap' },
          h('img', { class: 'avatar', alt: '', width: 28, height: 28, src: avatarUrl(m.username), data: { user: m.username } }),
          h('span', { class: `presence${m.online ? ' on' : ''}`, 'aria-hidden': 'true' })),
        h('span', { class: 'member-name author', data: { user: m.username } }, name),
        m.role !== 'member' ? h('span', { class: `role-badge role-${m.role}`, 'aria-hidden': 'true' }, m.role === 'owner' ? 'Owner' : 'Mod') : null),
      allowed ? iconButton('more', `Manage ${name}`, () => onManage(m.username), 'icon-btn small member-manage') : null);
  }

  function render() {
    const all = [...store.members.values()].sort((a, b) =>
      (ROLE_ORDER[a.role] - ROLE_ORDER[b.role]) || displayName(a.username).localeCompare(displayName(b.username)));
    const online = all.filter((m) => m.online);
    const offline = all.filter((m) => !m.online);
    heading.textContent = `Members · ${all.length}`;
    clear(body);
    for (const [label, list] of [['Online', online], ['Offline', offline]]) {
      if (!list.length) continue;
      const id = `members-${label.toLowerCase()}`;
      body.appendChild(h('h3', { class: 'group-title', id }, `${label} — ${list.length}`));
      body.appendChild(h('ul', { class: 'member-list', aria: { labelledby: id } }, list.map(row)));
    }
  }

  el.addEventListener('click', (e) => {
    const p = e.target.closest('[data-profile]');
    if (p) onProfile(p.dataset.profile);
  });
  render();
  return { el, render };
}
