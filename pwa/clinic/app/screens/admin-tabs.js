// The admin area's own tabs (Staff, Settings, Audit trail), shared by its three screens.
import { html } from '../html.js';
import { t } from '../i18n.js';
import { useStylesheet } from '../ui.js';

const TABS = [
  ['staff', '#/admin/staff', 'admin.tab.staff'],
  ['settings', '#/admin/settings', 'admin.tab.settings'],
  ['audit', '#/admin/audit', 'admin.tab.audit'],
];

export function AdminTabs({ current }) {
  useStylesheet(import.meta.url.replace('admin-tabs.js', 'admin.css'));
  return html`
    <nav aria-label=${t('admin.tabs_label')}>
      <ul class="tabs">
        ${TABS.map(
          ([id, href, label]) => html`
            <li key=${id}><a href=${href} aria-current=${current === id ? 'page' : undefined}>${t(label)}</a></li>
          `,
        )}
      </ul>
    </nav>
  `;
}
