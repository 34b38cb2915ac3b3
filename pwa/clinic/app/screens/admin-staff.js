// Admin: the clinic's clinicians and admins. Invite one (the one-time link to pass on), deactivate
// or reactivate an account, and issue a password reset link for someone locked out.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { formatDate, formatDateTime, t } from '../i18n.js';
import { useMe } from '../session.js';
import { Button, Chip, DataTable, ErrorNote, Field, Loading, Page, announce, useApi } from '../ui.js';
import { AdminTabs } from './admin-tabs.js';

const ROLES = ['clinician', 'admin'];

function InviteForm({ onInvited }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('clinician');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post('/api/staff/', { email: email.trim(), display_name: name.trim(), role });
      setEmail('');
      setName('');
      setRole('clinician');
      onInvited(created);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fields = error?.fields || {};
  return html`
    <form class="card form invite-form" onSubmit=${submit} noValidate>
      <h2>${t('admin.staff.invite_title')}</h2>
      <div class="form-row">
        <${Field} label=${t('admin.staff.name')} error=${fields.display_name}>
          ${(p) => html`<input ...${p} type="text" autocomplete="off" required value=${name} onInput=${(e) => setName(e.target.value)} />`}
        <//>
        <${Field} label=${t('admin.staff.email')} error=${fields.email}>
          ${(p) => html`<input ...${p} type="email" autocomplete="off" required value=${email} onInput=${(e) => setEmail(e.target.value)} />`}
        <//>
        <${Field} label=${t('admin.staff.role')} error=${fields.role}>
          ${(p) => html`
            <select ...${p} value=${role} onChange=${(e) => setRole(e.target.value)}>
              ${ROLES.map((r) => html`<option value=${r}>${t(`common.role.${r}`)}</option>`)}
            </select>
          `}
        <//>
      </div>
      <${ErrorNote} error=${error} />
      <div><${Button} kind="primary" type="submit" busy=${busy}>${t('admin.staff.invite')}<//></div>
    </form>
  `;
}

/** A one-time link to pass on (shown once: the server keeps only its hash). */
function LinkCard({ link, onClose }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied(true);
      announce(t('common.copied'));
    } catch {
      setCopied(false);
    }
  };
  return html`
    <section class="card link-card" aria-labelledby="link-title">
      <h2 id="link-title">${link.title}</h2>
      <p>${link.lead}</p>
      <div class="link-row">
        <label class="visually-hidden" for="one-time-link">${t('admin.staff.link')}</label>
        <input id="one-time-link" class="link-url mono" type="text" readonly value=${link.url} onFocus=${(e) => e.target.select()} />
        <${Button} onClick=${copy}>${copied ? t('common.copied') : t('common.copy')}<//>
      </div>
      <p class="hint">${t('admin.staff.link_expires', { when: formatDateTime(link.expires_at) })}</p>
      ${link.qr_svg &&
      html`<figure class="qr">
        <div class="qr-code" role="img" aria-label=${t('admin.staff.qr_label')} dangerouslySetInnerHTML=${{ __html: link.qr_svg }}></div>
        <figcaption class="hint">${t('admin.staff.qr_caption')}</figcaption>
      </figure>`}
      <${Button} kind="link" onClick=${onClose}>${t('admin.staff.link_done')}<//>
    </section>
  `;
}

function byStatusThenName(a, b) {
  if (a.is_active !== b.is_active) return a.is_active ? -1 : 1;
  return a.display_name.localeCompare(b.display_name);
}

export default function AdminStaff() {
  const me = useMe();
  const staff = useApi(() => api.get('/api/staff/'), []);
  const [link, setLink] = useState(null);
  const [rowError, setRowError] = useState(null);
  const [busy, setBusy] = useState(null);

  const invited = (created) => {
    setLink({
      title: t('admin.staff.invited_title', { name: created.display_name }),
      lead: t('admin.staff.invited_lead', { email: created.email }),
      url: created.invite.url,
      expires_at: created.invite.expires_at,
    });
    announce(t('admin.staff.invited_title', { name: created.display_name }));
    staff.reload();
  };

  const setActive = async (person, active) => {
    setBusy(`active-${person.id}`);
    setRowError(null);
    try {
      const updated = await api.patch(`/api/staff/${person.id}`, { is_active: active });
      staff.setData((rows) => rows.map((r) => (r.id === updated.id ? updated : r)));
      announce(t(active ? 'admin.staff.reactivated' : 'admin.staff.deactivated', { name: person.display_name }));
    } catch (e) {
      setRowError(e);
    } finally {
      setBusy(null);
    }
  };

  const reset = async (person) => {
    setBusy(`reset-${person.id}`);
    setRowError(null);
    try {
      const issued = await api.post(`/api/staff/${person.id}/password-reset`);
      setLink({
        title: t('admin.staff.reset_title', { name: person.display_name }),
        lead: t('admin.staff.reset_lead'),
        ...issued,
      });
    } catch (e) {
      setRowError(e);
    } finally {
      setBusy(null);
    }
  };

  const columns = [
    { key: 'display_name', label: t('admin.staff.name'), render: (p) => html`<strong>${p.display_name}</strong>${p.id === me.user_id ? html` <span class="hint">${t('admin.staff.you')}</span>` : ''}` },
    { key: 'email', label: t('admin.staff.email'), render: (p) => html`<span class="mono">${p.email}</span>` },
    { key: 'role', label: t('admin.staff.role'), render: (p) => t(`common.role.${p.role}`) },
    {
      key: 'is_active',
      label: t('admin.staff.status'),
      render: (p) => html`<${Chip} tone=${p.is_active ? 'good' : 'muted'}>${t(p.is_active ? 'admin.staff.active' : 'admin.staff.inactive')}<//>`,
    },
    { key: 'created_at', label: t('admin.staff.added'), render: (p) => (p.created_at ? formatDate(p.created_at) : '') },
    {
      key: 'actions',
      label: t('admin.staff.actions'),
      render: (p) =>
        p.id === me.user_id
          ? ''
          : html`<div class="row-actions">
              ${p.is_active
                ? html`<${Button} kind="danger" size="small" busy=${busy === `active-${p.id}`} onClick=${() => setActive(p, false)}
                    aria-label=${t('admin.staff.deactivate_who', { name: p.display_name })}>${t('admin.staff.deactivate')}<//>`
                : html`<${Button} size="small" busy=${busy === `active-${p.id}`} onClick=${() => setActive(p, true)}
                    aria-label=${t('admin.staff.reactivate_who', { name: p.display_name })}>${t('admin.staff.reactivate')}<//>`}
              ${p.is_active &&
              html`<${Button} size="small" busy=${busy === `reset-${p.id}`} onClick=${() => reset(p)}
                aria-label=${t('admin.staff.reset_who', { name: p.display_name })}>${t('admin.staff.reset')}<//>`}
            </div>`,
    },
  ];

  return html`
    <${Page} title=${t('admin.staff.title')} lead=${t('admin.staff.lead')}>
      <${AdminTabs} current="staff" />
      ${link && html`<${LinkCard} link=${link} onClose=${() => setLink(null)} />`}
      <${ErrorNote} error=${rowError} />
      ${staff.loading && !staff.data
        ? html`<${Loading} />`
        : staff.error
          ? html`<${ErrorNote} error=${staff.error} />`
          : html`<${DataTable}
              caption=${t('admin.staff.table', { count: staff.data.length })}
              columns=${columns}
              rows=${[...staff.data].sort(byStatusThenName)}
              rowKey=${(p) => p.id}
            />`}
      <${InviteForm} onInvited=${invited} />
    <//>
  `;
}
