// Add a patient: name, time zone, language, country (their crisis help follows it) and the
// clinic's record number; then their enrollment handout with the one-time link as a QR code.
import { html, useMemo, useState } from '../html.js';
import { api } from '../api.js';
import { countryOptions } from '../countries.js';
import { currentLanguage, t } from '../i18n.js';
import { Button, Field, Page, useStylesheet } from '../ui.js';
import { keepHandout } from './handout.js';
import { FormError } from './record-parts.js';

const LOCALES = ['en-US', 'es-US', 'es-MX', 'es-ES', 'en-GB', 'en-CA'];

function zones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

export default function EnrollScreen() {
  useStylesheet(import.meta.url);
  const lang = currentLanguage();
  const [form, setForm] = useState({
    display_name: '',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/New_York',
    locale: lang === 'es' ? 'es-US' : 'en-US',
    country: '',
    external_id: '',
    pain_enabled: false,
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const countries = useMemo(() => countryOptions(lang), [lang]);
  const zoneList = useMemo(zones, []);
  const set = (key) => (event) => setForm((f) => ({ ...f, [key]: event.target.type === 'checkbox' ? event.target.checked : event.target.value }));
  const fields = error?.fields || {};

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.post('/api/patients/', {
        display_name: form.display_name.trim(),
        timezone: form.timezone.trim(),
        locale: form.locale,
        country: form.country || null,
        external_id: form.external_id.trim() || null,
        pain_enabled: form.pain_enabled,
      });
      keepHandout(created.patient.id, created.enrollment);
      location.hash = `#/patients/${created.patient.id}/enrollment`;
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return html`
    <${Page} title=${t('records.enroll.title')} lead=${t('records.enroll.lead')} className="enroll-page">
      <form class="card form enroll-form" onSubmit=${submit} noValidate>
        <${Field} label=${t('records.enroll.name')} error=${fields.display_name}>
          ${(p) => html`<input ...${p} type="text" autocomplete="off" required value=${form.display_name} onInput=${set('display_name')} />`}
        <//>
        <div class="form-row">
          <${Field} label=${t('records.enroll.timezone')} hint=${t('records.enroll.timezone_hint')} error=${fields.timezone}>
            ${(p) => html`<input ...${p} type="text" list="zone-list" autocomplete="off" required value=${form.timezone} onInput=${set('timezone')} />`}
          <//>
          <datalist id="zone-list">${zoneList.map((z) => html`<option value=${z}></option>`)}</datalist>
          <${Field} label=${t('records.enroll.language')} error=${fields.locale}>
            ${(p) => html`
              <select ...${p} value=${form.locale} onChange=${set('locale')}>
                ${LOCALES.map((l) => html`<option value=${l}>${t(`records.locale.${l}`)}</option>`)}
              </select>
            `}
          <//>
        </div>
        <div class="form-row">
          <${Field} label=${t('records.enroll.country')} hint=${t('records.enroll.country_hint')} error=${fields.country}>
            ${(p) => html`
              <select ...${p} value=${form.country} onChange=${set('country')}>
                <option value="">${t('records.enroll.country_from_zone')}</option>
                ${countries.map((c) => html`<option value=${c.code}>${c.name} (${c.code})</option>`)}
              </select>
            `}
          <//>
          <${Field} label=${t('records.enroll.external_id')} hint=${t('records.enroll.external_id_hint')} error=${fields.external_id}>
            ${(p) => html`<input ...${p} type="text" autocomplete="off" value=${form.external_id} onInput=${set('external_id')} />`}
          <//>
        </div>
        <label class="check">
          <input type="checkbox" checked=${form.pain_enabled} onChange=${set('pain_enabled')} />
          ${t('records.enroll.pain')}
        </label>
        <${FormError} error=${error} />
        <div class="form-actions">
          <${Button} kind="primary" type="submit" busy=${busy}>${t('records.enroll.submit')}<//>
        </div>
      </form>
    <//>
  `;
}
