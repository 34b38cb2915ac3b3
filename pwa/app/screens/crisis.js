// The crisis screen (CLINICAL.md §5): shown first whenever PHQ-9 item 9 is 1 or more. Every word
// is the server's, worked out for this patient: their country's numbers (and the emergency number
// where the phone is, when it is abroad), the clinic's phone, all in their language when its
// crisis text is reviewed, else all in English. The app keeps that screen with the patient's
// profile (GET /api/me), so it shows offline too, before a first crisis as after one.
import { html, useEffect, useState } from '../html.js';
import { getState } from '../store.js';
import { Screen } from '../ui.js';

function href(resource) {
  const contact = String(resource.contact || '').trim();
  if (/^https:\/\//.test(contact)) return contact;
  const digits = contact.replace(/[^\d+]/g, '');
  if (!digits) return null;
  if (resource.kind === 'text') return `sms:${digits}`;
  if (resource.kind === 'phone' || resource.kind === 'emergency') return `tel:${digits}`;
  return null;
}

/**
 * The crisis screen this phone has: the one kept with the profile (refreshed at every start the
 * phone is online), else the last one a check-in brought; null when it has neither (a phone that
 * has not reached the server since this release).
 */
function kept(lastKnown) {
  const fromProfile = getState().me?.crisis;
  if (fromProfile) return fromProfile;
  return lastKnown && lastKnown.title ? lastKnown : null;
}

/** The crisis screen without the server's answer to this check-in. */
export function lastKnownSafety(lastKnown) {
  return { ...(kept(lastKnown) || { unknown: true }) };
}

export function offlineSafety(lastKnown) {
  return { ...lastKnownSafety(lastKnown), offline: true };
}

/**
 * The crisis screen for answers the server refused: the same resources, and a plain word that
 * the clinic has not seen these answers (no alert reached anyone).
 */
export function refusedSafety(lastKnown) {
  return { ...lastKnownSafety(lastKnown), refused: true };
}

/**
 * With no screen kept at all, what is true anywhere, in English whole (a language's crisis text
 * may not be reviewed): call the local emergency number. The catalogue is precached, so offline
 * this is a read from the phone.
 */
async function anywhere() {
  const english = await (await fetch(new URL('../i18n/en.json', import.meta.url))).json();
  return {
    lang: 'en',
    title: english['crisis.title'],
    message: english['crisis.message'],
    resources: [{ label: english['crisis.local_emergency'], contact: '', kind: 'other' }],
    clinic_phone: null,
    clinic_next: english['crisis.clinic_next'],
    not_emergency_care: english['crisis.not_emergency_local'],
    offline_note: english['crisis.offline_note'],
    refused_note: english['crisis.refused_note'],
    continue_label: english['crisis.continue'],
  };
}

function useWords(safety) {
  const [fallback, setFallback] = useState(null);
  useEffect(() => {
    if (safety.unknown) anywhere().then(setFallback);
  }, [safety.unknown]);
  return safety.unknown ? fallback : safety;
}

function Resource({ resource, className = 'resource' }) {
  const link = href(resource);
  return html`
    <li class=${`${className} resource-${resource.kind}`}>
      ${link
        ? html`<a class="button crisis-button" href=${link} rel="noopener">${resource.label}</a>`
        : html`<span>${resource.contact ? `${resource.label}: ${resource.contact}` : resource.label}</span>`}
    </li>
  `;
}

export default function Crisis({ safety, onContinue }) {
  const words = useWords(safety);
  if (!words) return null;
  return html`
    <${Screen} title=${words.title} lang=${words.lang} className="crisis">
      <p class="crisis-message">${words.message}</p>
      <ul class="crisis-resources">
        ${words.resources.map((resource) => html`<${Resource} resource=${resource} />`)}
      </ul>
      <div class="crisis-clinic">
        ${words.clinic_phone &&
        html`<ul class="crisis-resources"><${Resource} resource=${words.clinic_phone} className="resource clinic-phone" /></ul>`}
        ${!safety.refused && html`<p>${words.clinic_next}</p>`}
      </div>
      <p class="not-emergency"><strong>${words.not_emergency_care}</strong></p>
      ${safety.offline && html`<p class="muted">${words.offline_note}</p>`}
      ${safety.refused && html`<p class="error">${words.refused_note}</p>`}
      <button type="button" class="button" onClick=${onContinue}>${words.continue_label}</button>
    <//>
  `;
}
