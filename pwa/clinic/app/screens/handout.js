// The printed enrollment handout: the one-time link as a QR code, how to add the app to the
// phone's home screen (iPhone Safari, Android Chrome) and the clinic's phone number. It speaks
// the patient's language (es-MX: Spanish), whatever language the workspace is in, and prints on
// one page (enrollment.css, @media print). The link is shown once: the server keeps only its hash,
// so a handout lives in this page's memory until the clinician moves on.
import { html, useEffect, useState } from '../html.js';
import { supported } from '../i18n.js';

const justIssued = new Map();

/** Keep a handout just issued for the patient's enrollment screen (memory only, one visit). */
export function keepHandout(patientId, handout) {
  justIssued.set(String(patientId), handout);
}

export function takeHandout(patientId) {
  const handout = justIssued.get(String(patientId)) || null;
  justIssued.delete(String(patientId));
  return handout;
}

const catalogues = {};

async function patientStrings(locale) {
  const code = supported(locale) || 'en';
  if (!catalogues[code]) {
    const load = async (c) => (await fetch(new URL(`../i18n/${c}/records.json`, import.meta.url))).json();
    catalogues[code] = code === 'en' ? await load('en') : { ...(await load('en')), ...(await load(code)) };
  }
  return { code, strings: catalogues[code] };
}

/** The handout's words in the patient's language: `say('records.handout.title', {name})`. */
function useSay(locale) {
  const [state, setState] = useState(null);
  useEffect(() => {
    let live = true;
    patientStrings(locale).then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, [locale]);
  if (!state) return null;
  const say = (key, params) =>
    (state.strings[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
  return { say, code: state.code };
}

export function Handout({ patient, handout }) {
  const words = useSay(patient.locale);
  if (!words) return null;
  const { say, code } = words;
  const expires = new Intl.DateTimeFormat(code, { dateStyle: 'long' }).format(new Date(handout.expires_at));
  return html`
    <article class="handout" lang=${code} aria-label=${say('records.handout.label')}>
      <header class="handout-head">
        <p class="handout-clinic">${handout.clinic_name}</p>
        <h2>${say('records.handout.title', { name: patient.display_name })}</h2>
        <p>${say('records.handout.lead')}</p>
      </header>
      <div class="handout-body">
        <figure class="handout-qr">
          <div class="qr-code" role="img" aria-label=${say('records.handout.qr_label')} dangerouslySetInnerHTML=${{ __html: handout.qr_svg }}></div>
          <figcaption>
            ${say('records.handout.scan')}
            <span class="handout-url">${handout.url}</span>
            <span class="handout-expires">${say('records.handout.expires', { date: expires })}</span>
          </figcaption>
        </figure>
        <div class="handout-steps">
          <h3>${say('records.handout.steps_title')}</h3>
          <ol>
            <li>${say('records.handout.step_open')}</li>
            <li>${say('records.handout.step_password')}</li>
          </ol>
          <div class="handout-phones">
            <section>
              <h4>${say('records.handout.iphone')}</h4>
              <ol>
                <li>${say('records.handout.iphone_1')}</li>
                <li>${say('records.handout.iphone_2')}</li>
                <li>${say('records.handout.iphone_3')}</li>
              </ol>
            </section>
            <section>
              <h4>${say('records.handout.android')}</h4>
              <ol>
                <li>${say('records.handout.android_1')}</li>
                <li>${say('records.handout.android_2')}</li>
                <li>${say('records.handout.android_3')}</li>
              </ol>
            </section>
          </div>
          <p>${say('records.handout.reminders')}</p>
        </div>
      </div>
      <footer class="handout-foot">
        ${handout.clinic_phone
          ? html`<p class="handout-phone">${say('records.handout.call', { clinic: handout.clinic_name })} <strong>${handout.clinic_phone}</strong></p>`
          : html`<p class="handout-phone">${say('records.handout.ask', { clinic: handout.clinic_name })}</p>`}
        <p class="handout-safety">${say('records.handout.safety')}</p>
      </footer>
    </article>
  `;
}
