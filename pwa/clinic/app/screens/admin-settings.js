// Admin: the clinic's settings (GET/PUT /api/clinic/settings). Safety alert windows, on-call,
// crisis resources by patient language, and overrides of the relief thresholds. The whole object
// is sent back as it came, with only what this screen edits changed, so that fields this screen
// does not show are kept.
import { html, useEffect, useState } from '../html.js';
import { api } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { Button, ErrorNote, Field, Loading, Notice, Page, announce, useApi } from '../ui.js';
import { AdminTabs } from './admin-tabs.js';

const KINDS = ['phone', 'text', 'chat', 'emergency', 'other'];
const DEFAULT_LOCALE = 'default';

/** The form's own copy of the settings: text as typed, lists with a stable key per row. */
function draftOf(settings) {
  let key = 0;
  const locales = Object.keys(settings.crisis_resources || {}).sort((a, b) =>
    a === DEFAULT_LOCALE ? -1 : b === DEFAULT_LOCALE ? 1 : a.localeCompare(b),
  );
  return {
    alert_window_hours: String(settings.alert_window_hours ?? ''),
    urgent_alert_window_hours: String(settings.urgent_alert_window_hours ?? ''),
    on_call_contact: settings.on_call_contact || '',
    on_call_user_id: settings.on_call_user_id == null ? '' : String(settings.on_call_user_id),
    clinic_phone: settings.clinic_phone || '',
    not_emergency_notice: settings.not_emergency_notice || '',
    crisis: locales.map((locale) => ({
      locale,
      resources: settings.crisis_resources[locale].map((r) => ({ ...r, key: (key += 1) })),
    })),
    relief: Object.fromEntries(
      Object.entries(settings.relief || {}).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
    ),
  };
}

/** A number as typed, or the text itself when it is not one (the server then says what to fix). */
function numberOr(text) {
  const trimmed = String(text).trim().replace(',', '.');
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : text;
}

function reliefValue(spec, text) {
  if (Array.isArray(spec.default)) {
    const days = text.split(/[,;\s]+/).filter(Boolean).map(numberOr);
    return days;
  }
  return numberOr(text);
}

/** The settings to PUT: what came from the server, with this form's fields in place. */
function bodyOf(settings, draft, specs) {
  const relief = {};
  for (const spec of specs) {
    const text = (draft.relief[spec.name] || '').trim();
    if (text !== '') relief[spec.name] = reliefValue(spec, text);
  }
  return {
    ...settings,
    alert_window_hours: numberOr(draft.alert_window_hours),
    urgent_alert_window_hours: numberOr(draft.urgent_alert_window_hours),
    on_call_contact: draft.on_call_contact.trim() || null,
    on_call_user_id: draft.on_call_user_id ? Number(draft.on_call_user_id) : null,
    clinic_phone: draft.clinic_phone.trim() || null,
    not_emergency_notice: draft.not_emergency_notice,
    crisis_resources: Object.fromEntries(
      draft.crisis.map(({ locale, resources }) => [
        locale,
        resources.map(({ label, contact, kind }) => ({ label: label.trim(), contact: contact.trim(), kind })),
      ]),
    ),
    relief,
  };
}

function AlertWindows({ draft, change, fields }) {
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.alerts_title')}</legend>
      <p class="hint">${t('admin.settings.alerts_lead')}</p>
      <div class="form-row">
        <${Field} label=${t('admin.settings.alert_window')} hint=${t('admin.settings.hours_hint')} error=${fields.alert_window_hours}>
          ${(p) => html`<input ...${p} type="number" inputmode="decimal" min="0.25" max="72" step="0.25" value=${draft.alert_window_hours}
            onInput=${(e) => change({ alert_window_hours: e.target.value })} />`}
        <//>
        <${Field} label=${t('admin.settings.urgent_window')} hint=${t('admin.settings.urgent_hint')} error=${fields.urgent_alert_window_hours}>
          ${(p) => html`<input ...${p} type="number" inputmode="decimal" min="0.25" max="72" step="0.25" value=${draft.urgent_alert_window_hours}
            onInput=${(e) => change({ urgent_alert_window_hours: e.target.value })} />`}
        <//>
      </div>
    </fieldset>
  `;
}

function OnCall({ draft, change, fields }) {
  // Escalations go to the on-call clinician by email as well as to their devices.
  const staff = useApi(() => api.get('/api/staff/'), []);
  const clinicians = (staff.data || []).filter(
    (s) => (s.role === 'clinician' && s.is_active) || String(s.id) === draft.on_call_user_id,
  );
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.on_call_title')}</legend>
      <div class="form-row">
        <${Field} label=${t('admin.settings.on_call_user')} hint=${t('admin.settings.on_call_user_hint')} error=${fields.on_call_user_id || (staff.error && staff.error.detail)}>
          ${(p) => html`<select ...${p} value=${draft.on_call_user_id} onChange=${(e) => change({ on_call_user_id: e.target.value })}>
            <option value="">${t('admin.settings.on_call_nobody')}</option>
            ${clinicians.map((s) => html`<option value=${String(s.id)}>${s.display_name} (${s.email})</option>`)}
          </select>`}
        <//>
        <${Field} label=${t('admin.settings.clinic_phone')} hint=${t('admin.settings.clinic_phone_hint')} error=${fields.clinic_phone}>
          ${(p) => html`<input ...${p} type="tel" maxlength="40" autocomplete="off" value=${draft.clinic_phone}
            onInput=${(e) => change({ clinic_phone: e.target.value })} />`}
        <//>
      </div>
      <${Field} label=${t('admin.settings.on_call_contact')} hint=${t('admin.settings.on_call_contact_hint')} error=${fields.on_call_contact}>
        ${(p) => html`<input ...${p} type="text" maxlength="300" value=${draft.on_call_contact}
          onInput=${(e) => change({ on_call_contact: e.target.value })} />`}
      <//>
    </fieldset>
  `;
}

function localeTitle(locale) {
  return locale === DEFAULT_LOCALE
    ? t('admin.settings.crisis_default')
    : t('admin.settings.crisis_for', { locale });
}

function CrisisResources({ draft, change, fields }) {
  const [newLocale, setNewLocale] = useState('');
  const [localeError, setLocaleError] = useState(null);
  const setCrisis = (crisis) => change({ crisis });
  const nextKey = () => Math.max(0, ...draft.crisis.flatMap((c) => c.resources.map((r) => r.key))) + 1;
  const updateResource = (locale, key, patch) =>
    setCrisis(
      draft.crisis.map((c) =>
        c.locale === locale ? { ...c, resources: c.resources.map((r) => (r.key === key ? { ...r, ...patch } : r)) } : c,
      ),
    );
  const addResource = (locale) =>
    setCrisis(
      draft.crisis.map((c) =>
        c.locale === locale ? { ...c, resources: [...c.resources, { key: nextKey(), label: '', contact: '', kind: 'phone' }] } : c,
      ),
    );
  const removeResource = (locale, key) =>
    setCrisis(draft.crisis.map((c) => (c.locale === locale ? { ...c, resources: c.resources.filter((r) => r.key !== key) } : c)));
  const addLocale = () => {
    const locale = newLocale.trim();
    if (!/^[a-z]{2}(-[A-Z]{2})?$/.test(locale)) {
      setLocaleError(t('admin.settings.locale_invalid'));
      return;
    }
    if (draft.crisis.some((c) => c.locale === locale)) {
      setLocaleError(t('admin.settings.locale_exists', { locale }));
      return;
    }
    setLocaleError(null);
    setNewLocale('');
    setCrisis([...draft.crisis, { locale, resources: [{ key: nextKey(), label: '', contact: '', kind: 'phone' }] }]);
  };
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.crisis_title')}</legend>
      <p class="hint">${t('admin.settings.crisis_lead')}</p>
      ${fields['crisis_resources.default'] && html`<p class="field-error">${fields['crisis_resources.default']}</p>`}
      ${draft.crisis.map(
        ({ locale, resources }) => html`
          <section class="crisis-locale" key=${locale} aria-label=${localeTitle(locale)}>
            <h3>${localeTitle(locale)}</h3>
            ${resources.map(
              (r, index) => html`
                <div class="resource-row" key=${r.key} role="group" aria-label=${t('admin.settings.resource_n', { n: index + 1 })}>
                  <${Field} label=${t('admin.settings.resource_label')} className="resource-label">
                    ${(p) => html`<input ...${p} type="text" maxlength="300" value=${r.label} onInput=${(e) => updateResource(locale, r.key, { label: e.target.value })} />`}
                  <//>
                  <${Field} label=${t('admin.settings.resource_contact')} className="resource-contact">
                    ${(p) => html`<input ...${p} type="text" maxlength="300" value=${r.contact} onInput=${(e) => updateResource(locale, r.key, { contact: e.target.value })} />`}
                  <//>
                  <${Field} label=${t('admin.settings.resource_kind')} className="resource-kind">
                    ${(p) => html`<select ...${p} value=${r.kind} onChange=${(e) => updateResource(locale, r.key, { kind: e.target.value })}>
                      ${KINDS.map((k) => html`<option value=${k}>${t(`admin.settings.kind.${k}`)}</option>`)}
                    </select>`}
                  <//>
                  <${Button} size="small" kind="link" className="resource-remove" onClick=${() => removeResource(locale, r.key)}
                    aria-label=${t('admin.settings.remove_resource', { label: r.label || t('admin.settings.resource_n', { n: index + 1 }) })}>
                    ${t('admin.settings.remove')}
                  <//>
                </div>
              `,
            )}
            <div class="locale-actions">
              <${Button} size="small" onClick=${() => addResource(locale)}>${t('admin.settings.add_resource')}<//>
              ${locale !== DEFAULT_LOCALE &&
              html`<${Button} size="small" kind="danger" onClick=${() => setCrisis(draft.crisis.filter((c) => c.locale !== locale))}>
                ${t('admin.settings.remove_locale', { locale })}
              <//>`}
            </div>
          </section>
        `,
      )}
      <div class="form-row add-locale">
        <${Field} label=${t('admin.settings.new_locale')} hint=${t('admin.settings.new_locale_hint')} error=${localeError}>
          ${(p) => html`<input ...${p} type="text" maxlength="5" value=${newLocale} onInput=${(e) => setNewLocale(e.target.value)} />`}
        <//>
        <${Button} onClick=${addLocale}>${t('admin.settings.add_locale')}<//>
      </div>
      <${Field} label=${t('admin.settings.not_emergency')} hint=${t('admin.settings.not_emergency_hint')} error=${fields.not_emergency_notice}>
        ${(p) => html`<textarea ...${p} rows="3" maxlength="1000" value=${draft.not_emergency_notice}
          onInput=${(e) => change({ not_emergency_notice: e.target.value })}></textarea>`}
      <//>
    </fieldset>
  `;
}

function defaultText(spec) {
  return Array.isArray(spec.default) ? spec.default.join(', ') : formatNumber(spec.default);
}

function ReliefThresholds({ draft, change, specs, fields }) {
  const set = (name, value) => change({ relief: { ...draft.relief, [name]: value } });
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.relief_title')}</legend>
      <p class="hint">${t('admin.settings.relief_lead')}</p>
      ${fields.relief && html`<p class="field-error">${fields.relief}</p>`}
      <div class="relief-grid">
        ${specs.map(
          (spec) => html`
            <${Field}
              key=${spec.name}
              label=${t(`admin.relief.${spec.name}`)}
              hint=${t('admin.settings.relief_hint', { value: defaultText(spec), low: formatNumber(spec.low), high: formatNumber(spec.high) })}
              error=${fields[`relief.${spec.name}`]}
            >
              ${(p) => html`<input ...${p} type="text" inputmode=${spec.whole ? 'numeric' : 'decimal'} placeholder=${defaultText(spec)}
                value=${draft.relief[spec.name] || ''} onInput=${(e) => set(spec.name, e.target.value)} />`}
            <//>
          `,
        )}
      </div>
    </fieldset>
  `;
}

export default function AdminSettings() {
  const loaded = useApi(
    () => Promise.all([api.get('/api/clinic/settings'), api.get('/api/clinic/settings/relief-thresholds')]),
    [],
  );
  const [draft, setDraft] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (loaded.data) setDraft(draftOf(loaded.data[0]));
  }, [loaded.data]);

  const change = (patch) => {
    setSaved(false);
    setDraft((d) => ({ ...d, ...patch }));
  };
  const save = async (event) => {
    event.preventDefault();
    const [settings, specs] = loaded.data;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const stored = await api.put('/api/clinic/settings', bodyOf(settings, draft, specs));
      loaded.setData([stored, specs]);
      setSaved(true);
      announce(t('admin.settings.saved'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  let body;
  if (loaded.error && !loaded.data) body = html`<${ErrorNote} error=${loaded.error} />`;
  else if (!draft) body = html`<${Loading} />`;
  else {
    const fields = error?.fields || {};
    const props = { draft, change, fields };
    body = html`
      <form class="settings-form" onSubmit=${save} noValidate>
        <${AlertWindows} ...${props} />
        <${OnCall} ...${props} />
        <${CrisisResources} ...${props} />
        <${ReliefThresholds} ...${props} specs=${loaded.data[1]} />
        <div class="save-bar">
          <${ErrorNote} error=${error} />
          ${saved && html`<${Notice} tone="good">${t('admin.settings.saved')}<//>`}
          <${Button} kind="primary" type="submit" busy=${busy}>${t('admin.settings.save')}<//>
        </div>
      </form>
    `;
  }
  return html`
    <${Page} title=${t('admin.settings.title')} lead=${t('admin.settings.lead')}>
      <${AdminTabs} current="settings" />
      ${body}
    <//>
  `;
}
