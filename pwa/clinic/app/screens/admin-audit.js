// Admin: the audit trail (GET /api/audit): who read or changed what, newest first, a page at a
// time, filtered by patient, staff member, action and dates. The filters live in the hash
// (#/admin/audit?patient_id=12), so a patient's trail can be linked to and reloaded.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { Button, DataTable, ErrorNote, Field, Loading, Page, Pager, RelativeTime, useApi } from '../ui.js';
import { AdminTabs } from './admin-tabs.js';

const PAGE = 50;
const FILTERS = ['patient_id', 'actor_user_id', 'action', 'since', 'until'];

/** A local calendar day as the instant it starts (or, for `until`, the next day starts). */
function dayBoundary(day, end) {
  if (!day) return null;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + (end ? 1 : 0)).toISOString();
}

function hashFor(filters, offset) {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
  if (offset) params.set('offset', String(offset));
  const query = params.toString();
  return `#/admin/audit${query ? `?${query}` : ''}`;
}

function Filters({ initial, staff }) {
  const [draft, setDraft] = useState(initial);
  const set = (name) => (e) => setDraft({ ...draft, [name]: e.target.value });
  const apply = (event) => {
    event.preventDefault();
    location.hash = hashFor(draft, 0);
  };
  const clear = () => {
    setDraft({});
    location.hash = hashFor({}, 0);
  };
  return html`
    <form class="card audit-filters" onSubmit=${apply} role="search" aria-label=${t('admin.audit.filters')}>
      <div class="form-row">
        <${Field} label=${t('admin.audit.patient_id')}>
          ${(p) => html`<input ...${p} type="number" min="1" inputmode="numeric" value=${draft.patient_id || ''} onInput=${set('patient_id')} />`}
        <//>
        <${Field} label=${t('admin.audit.who')}>
          ${(p) => html`<select ...${p} value=${draft.actor_user_id || ''} onChange=${set('actor_user_id')}>
            <option value="">${t('admin.audit.anyone')}</option>
            ${(staff || []).map((s) => html`<option value=${String(s.id)}>${s.display_name}</option>`)}
          </select>`}
        <//>
        <${Field} label=${t('admin.audit.action')} hint=${t('admin.audit.action_hint')}>
          ${(p) => html`<input ...${p} type="text" value=${draft.action || ''} onInput=${set('action')} />`}
        <//>
        <${Field} label=${t('admin.audit.since')}>
          ${(p) => html`<input ...${p} type="date" value=${draft.since || ''} onInput=${set('since')} />`}
        <//>
        <${Field} label=${t('admin.audit.until')}>
          ${(p) => html`<input ...${p} type="date" value=${draft.until || ''} onInput=${set('until')} />`}
        <//>
      </div>
      <div class="filter-actions">
        <${Button} kind="primary" type="submit">${t('admin.audit.apply')}<//>
        <${Button} kind="link" onClick=${clear}>${t('admin.audit.clear')}<//>
      </div>
    </form>
  `;
}

/** "clinic.settings.update" may wrap after its dots, never inside a word. */
function actionWithBreaks(action) {
  return action.split('.').flatMap((part, i) => (i === 0 ? [part] : [html`.<wbr />`, part]));
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .map(([key, value]) => {
      if (value && typeof value === 'object') {
        const inner = Array.isArray(value) ? value : Object.keys(value);
        return `${key}: ${inner.join(', ')}`;
      }
      return `${key}: ${value}`;
    })
    .join('; ');
}

export default function AdminAudit({ query }) {
  const filters = Object.fromEntries(FILTERS.filter((n) => query[n]).map((n) => [n, query[n]]));
  const offset = Math.max(0, Number.parseInt(query.offset || '0', 10) || 0);
  const key = hashFor(filters, offset);
  const staff = useApi(() => api.get('/api/staff/'), []);
  const rows = useApi(
    () =>
      api.get('/api/audit/', {
        query: {
          patient_id: filters.patient_id,
          actor_user_id: filters.actor_user_id,
          action: filters.action,
          since: dayBoundary(filters.since, false),
          until: dayBoundary(filters.until, true),
          limit: PAGE,
          offset,
        },
      }),
    [key],
  );
  const names = Object.fromEntries((staff.data || []).map((s) => [s.id, s.display_name]));
  const who = (row) => {
    if (row.actor_role === 'patient') return t('admin.audit.the_patient');
    if (row.actor_user_id === null) return t('admin.audit.system');
    return names[row.actor_user_id] || t('admin.audit.user_n', { id: row.actor_user_id });
  };
  const columns = [
    { key: 'at', label: t('admin.audit.when'), render: (r) => html`<${RelativeTime} value=${r.at} /><br /><span class="hint">${formatDateTime(r.at)}</span>` },
    { key: 'who', label: t('admin.audit.who'), render: (r) => html`${who(r)}<br /><span class="hint">${t(`admin.audit.role.${r.actor_role}`)}</span>` },
    { key: 'action', label: t('admin.audit.action'), render: (r) => html`<code class="audit-action">${actionWithBreaks(r.action)}</code>` },
    {
      key: 'patient_id',
      label: t('admin.audit.patient'),
      render: (r) =>
        r.patient_id === null ? '' : html`<a href=${`#/patients/${r.patient_id}`}>${t('admin.audit.patient_n', { id: r.patient_id })}</a>`,
    },
    { key: 'target', label: t('admin.audit.target'), render: (r) => (r.target ? html`<code>${r.target}</code>` : '') },
    { key: 'detail', label: t('admin.audit.detail'), render: (r) => html`<span class="audit-detail">${detailText(r.detail)}</span>` },
    { key: 'address', label: t('admin.audit.address'), render: (r) => (r.address ? html`<code>${r.address}</code>` : '') },
  ];
  let table;
  if (rows.error) table = html`<${ErrorNote} error=${rows.error} />`;
  else if (!rows.data) table = html`<${Loading} />`;
  else
    table = html`
      <${DataTable}
        caption=${t('admin.audit.table')}
        columns=${columns}
        rows=${rows.data}
        empty=${t(Object.keys(filters).length ? 'admin.audit.none_matching' : 'admin.audit.none')}
      />
      <${Pager} offset=${offset} limit=${PAGE} shown=${rows.data.length} onChange=${(next) => { location.hash = hashFor(filters, next); }} />
    `;
  return html`
    <${Page} title=${t('admin.audit.title')} lead=${t('admin.audit.lead')}>
      <${AdminTabs} current="audit" />
      <${Filters} key=${key} initial=${filters} staff=${staff.data} />
      ${table}
    <//>
  `;
}
