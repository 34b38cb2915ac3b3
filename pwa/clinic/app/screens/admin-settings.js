// Admin: the clinic's settings (GET/PUT /api/clinic/settings). Safety alert windows, on-call,
// the clinic's phone, crisis help by country (Afterglow's list, or the clinic's own worded in
// every language of the app, with whether each language's crisis text is reviewed or confirmed
// by a clinician: GET /api/clinic/crisis-texts), and overrides of the relief thresholds. The whole object is sent
// back as it came, with only what this screen edits changed, so that fields this screen does not
// show are kept.
import { html, useEffect, useState } from '../html.js';
import { api } from '../api.js';
import { countryOptions, displayNames } from '../countries.js';
import { currentLanguage, formatNumber, t } from '../i18n.js';
import { Button, ErrorNote, Field, Loading, Notice, Page, announce, useApi } from '../ui.js';
import { AdminTabs } from './admin-tabs.js';
import { crisisStanding } from './clinic-crisis-texts.js';

const KINDS = ['phone', 'text', 'chat', 'emergency', 'other'];

let lastKey = 0;
const nextKey = () => (lastKey += 1);

/** A line of a clinic's own list as the form holds it: a stable key, labels by language. */
function rowOf(resource) {
  return { key: nextKey(), label: { ...resource.label }, contact: resource.contact, kind: resource.kind };
}

/** The form's own copy of the settings: text as typed, lists with a stable key per row. */
function draftOf(settings) {
  return {
    alert_window_hours: String(settings.alert_window_hours ?? ''),
    urgent_alert_window_hours: String(settings.urgent_alert_window_hours ?? ''),
    on_call_contact: settings.on_call_contact || '',
    on_call_user_id: settings.on_call_user_id == null ? '' : String(settings.on_call_user_id),
    clinic_phone: settings.clinic_phone || '',
    adaptive_checkins: settings.adaptive_checkins !== false,
    crisis: Object.entries(settings.crisis_resources || {}).map(([country, resources]) => ({
      country,
      resources: resources.map(rowOf),
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
    adaptive_checkins: draft.adaptive_checkins,
    crisis_resources: Object.fromEntries(
      draft.crisis.map(({ country, resources }) => [
        country,
        resources.map(({ label, contact, kind }) => ({
          // A label left empty is left out: the server names the language it still needs.
          label: Object.fromEntries(
            Object.entries(label)
              .map(([lang, text]) => [lang, text.trim()])
              .filter(([, text]) => text),
          ),
          contact: contact.trim(),
          kind,
        })),
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

function LanguageReviews({ languages, texts }) {
  const names = displayNames(currentLanguage(), 'language');
  if (!texts) {
    return html`
      <ul class="crisis-languages">
        ${languages.map(
          ({ lang, reviewed }) => html`
            <li key=${lang}>
              ${t(reviewed ? 'admin.settings.crisis_language_reviewed' : 'admin.settings.crisis_language_awaiting', {
                language: names.of(lang),
              })}
            </li>
          `,
        )}
      </ul>
    `;
  }
  return html`
    <ul class="crisis-languages">
      ${texts.map(
        (text) => html`
          <li key=${text.lang}>
            ${crisisStanding(text, names.of(text.lang), 'admin.settings.crisis_language_')}
            ${text.status !== 'reviewed' &&
            html` <a href="#/clinic">${t(text.status === 'confirmed' ? 'admin.settings.crisis_language_see' : 'admin.settings.crisis_language_where')}</a>`}
          </li>
        `,
      )}
    </ul>
  `;
}

function OwnLine({ country, row, index, languages, fields, update, remove }) {
  const names = displayNames(currentLanguage(), 'language');
  const at = `crisis_resources.${country}.${index}`;
  const name = row.label[currentLanguage()] || row.label.en || t('admin.settings.resource_n', { n: index + 1 });
  return html`
    <div class="resource-row" role="group" aria-label=${t('admin.settings.resource_n', { n: index + 1 })}>
      ${languages.map(
        (lang) => html`
          <${Field} key=${lang} label=${t('admin.settings.resource_label_in', { language: names.of(lang) })}
            className="resource-label" error=${fields[`${at}.label.${lang}`]}>
            ${(p) => html`<input ...${p} type="text" maxlength="300" lang=${lang} value=${row.label[lang] || ''}
              onInput=${(e) => update({ label: { ...row.label, [lang]: e.target.value } })} />`}
          <//>
        `,
      )}
      <${Field} label=${t('admin.settings.resource_contact')} className="resource-contact" error=${fields[`${at}.contact`]}>
        ${(p) => html`<input ...${p} type="text" maxlength="300" value=${row.contact} onInput=${(e) => update({ contact: e.target.value })} />`}
      <//>
      <${Field} label=${t('admin.settings.resource_kind')} className="resource-kind">
        ${(p) => html`<select ...${p} value=${row.kind} onChange=${(e) => update({ kind: e.target.value })}>
          ${KINDS.map((k) => html`<option value=${k}>${t(`admin.settings.kind.${k}`)}</option>`)}
        </select>`}
      <//>
      <${Button} size="small" kind="link" className="resource-remove" onClick=${remove}
        aria-label=${t('admin.settings.remove_resource', { label: name })}>
        ${t('admin.settings.remove')}
      <//>
    </div>
  `;
}

function CountryHelp({ country, name, own, builtIn, languages, fields, setOwn }) {
  const lang = currentLanguage();
  const update = (key, patch) => setOwn(own.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const blank = (kind) => ({ key: nextKey(), label: {}, contact: '', kind });
  return html`
    <section class="crisis-country" aria-label=${name}>
      <h3>${name}</h3>
      ${fields[`crisis_resources.${country}`] && html`<p class="field-error">${fields[`crisis_resources.${country}`]}</p>`}
      ${own
        ? html`
            <p class="hint">${t('admin.settings.crisis_own')}</p>
            ${own.map(
              (row, index) => html`<${OwnLine} key=${row.key} country=${country} row=${row} index=${index}
                languages=${languages} fields=${fields} update=${(patch) => update(row.key, patch)}
                remove=${() => setOwn(own.filter((r) => r.key !== row.key))} />`,
            )}
            <div class="country-actions">
              <${Button} size="small" onClick=${() => setOwn([...own, blank('phone')])}>${t('admin.settings.add_resource')}<//>
              <${Button} size="small" kind="danger" onClick=${() => setOwn(null)}>
                ${t(builtIn ? 'admin.settings.use_afterglows' : 'admin.settings.remove_country', { country: name })}
              <//>
            </div>
          `
        : html`
            <ul class="built-in-list">
              ${builtIn.map((r, index) => html`<li key=${index}>${r.label[lang] || r.label.en}</li>`)}
            </ul>
            <div class="country-actions">
              <${Button} size="small" onClick=${() => setOwn(builtIn.map(rowOf))}>
                ${t('admin.settings.write_own', { country: name })}
              <//>
            </div>
          `}
    </section>
  `;
}

function CrisisHelp({ draft, change, fields, help, texts }) {
  const lang = currentLanguage();
  const [another, setAnother] = useState('');
  const regions = displayNames(lang, 'region');
  const languages = help.languages.map((l) => l.lang);
  const builtIn = Object.fromEntries(help.lists.map((l) => [l.country, l.resources]));
  const ownOf = (country) => draft.crisis.find((c) => c.country === country)?.resources || null;
  const setOwn = (country, resources) => {
    const others = draft.crisis.filter((c) => c.country !== country);
    change({ crisis: resources ? [...others, { country, resources }] : others });
  };
  const shown = [...new Set([...Object.keys(builtIn), ...draft.crisis.map((c) => c.country)])]
    .map((code) => ({ code, name: regions.of(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, lang));
  const addable = countryOptions(lang).filter((c) => !shown.some((s) => s.code === c.code));
  const addCountry = () => {
    if (!another) return;
    setOwn(another, [{ key: nextKey(), label: {}, contact: '', kind: 'emergency' }]);
    setAnother('');
  };
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.crisis_title')}</legend>
      <p class="hint">${t('admin.settings.crisis_lead')}</p>
      <${LanguageReviews} languages=${help.languages} texts=${texts} />
      ${shown.map(
        ({ code, name }) => html`<${CountryHelp} key=${code} country=${code} name=${name} own=${ownOf(code)}
          builtIn=${builtIn[code] || null} languages=${languages} fields=${fields}
          setOwn=${(resources) => setOwn(code, resources)} />`,
      )}
      <p class="hint">${t('admin.settings.crisis_others')}</p>
      <div class="form-row add-country">
        <${Field} label=${t('admin.settings.new_country')}>
          ${(p) => html`<select ...${p} value=${another} onChange=${(e) => setAnother(e.target.value)}>
            <option value="">${t('admin.settings.new_country_none')}</option>
            ${addable.map((c) => html`<option value=${c.code}>${c.name}</option>`)}
          </select>`}
        <//>
        <${Button} onClick=${addCountry}>${t('admin.settings.add_country')}<//>
      </div>
    </fieldset>
  `;
}

function defaultText(spec) {
  return Array.isArray(spec.default) ? spec.default.join(', ') : formatNumber(spec.default);
}

/** Adaptive check-ins: extra PHQ-9s when a patient's relief may be changing, on or off. */
function ExtraCheckins({ draft, change }) {
  return html`
    <fieldset class="card">
      <legend>${t('admin.settings.extra_title')}</legend>
      <p class="hint">${t('admin.settings.extra_lead')}</p>
      <label class="check">
        <input type="checkbox" checked=${draft.adaptive_checkins}
          onChange=${(e) => change({ adaptive_checkins: e.target.checked })} />
        <span>${t('admin.settings.extra_on')}</span>
      </label>
    </fieldset>
  `;
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
    () =>
      Promise.all([
        api.get('/api/clinic/settings'),
        api.get('/api/clinic/settings/relief-thresholds'),
        api.get('/api/clinic/settings/crisis-help'),
      ]),
    [],
  );
  // Read apart from the settings: saving a reworded line can make a confirmation stale.
  const texts = useApi(() => api.get('/api/clinic/crisis-texts'), []);
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
    const [settings, specs, help] = loaded.data;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const stored = await api.put('/api/clinic/settings', bodyOf(settings, draft, specs));
      loaded.setData([stored, specs, help]);
      texts.reload();
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
        <${CrisisHelp} ...${props} help=${loaded.data[2]} texts=${texts.data} />
        <${ExtraCheckins} ...${props} />
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
