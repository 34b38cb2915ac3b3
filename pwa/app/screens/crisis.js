// The crisis screen (CLINICAL.md §5): shown first whenever PHQ-9 item 9 is 1 or more, with the
// clinic's own resources from the check-in response. Offline, the default resources from the
// catalogue stand in until the check-in reaches the clinic. Every word of Afterglow's own here is
// in the patient's language when its catalogue has the whole crisis text, else all in English.
import { html } from '../html.js';
import { crisisLanguage, tCrisis } from '../i18n.js';
import { Screen } from '../ui.js';

function href(resource) {
  const contact = String(resource.contact).trim();
  if (/^https:\/\//.test(contact)) return contact;
  const digits = contact.replace(/[^\d+]/g, '');
  if (!digits) return null;
  if (resource.kind === 'text') return `sms:${digits}`;
  if (resource.kind === 'phone' || resource.kind === 'emergency') return `tel:${digits}`;
  return null;
}

/**
 * The crisis screen without the server: the clinic's own resources from the last crisis screen
 * this phone showed, else the catalogue's defaults (the US numbers of CLINICAL.md §5).
 */
export function lastKnownSafety(lastKnown) {
  if (lastKnown) return { ...lastKnown };
  return {
    message: tCrisis('crisis.message'),
    resources: [
      { label: tCrisis('crisis.default_call'), contact: '988', kind: 'phone' },
      { label: tCrisis('crisis.default_text'), contact: '988', kind: 'text' },
      { label: tCrisis('crisis.default_chat'), contact: 'https://988lifeline.org', kind: 'chat' },
      { label: tCrisis('crisis.default_veterans'), contact: '988', kind: 'phone' },
      { label: tCrisis('crisis.default_emergency'), contact: '911', kind: 'emergency' },
    ],
    not_emergency_care: tCrisis('crisis.not_emergency'),
  };
}

export function offlineSafety(lastKnown) {
  return { ...lastKnownSafety(lastKnown), offline: true };
}

/**
 * The crisis screen for answers the server refused: the same resources as offline, and a plain
 * word that the clinic has not seen these answers (no alert reached anyone).
 */
export function refusedSafety(lastKnown) {
  return { ...lastKnownSafety(lastKnown), refused: true };
}

export default function Crisis({ safety, onContinue }) {
  return html`
    <${Screen} title=${tCrisis('crisis.title')} lang=${crisisLanguage()} className="crisis">
      <p class="crisis-message">${safety.message}</p>
      <ul class="crisis-resources">
        ${safety.resources.map((resource) => {
          const link = href(resource);
          return html`
            <li class=${`resource resource-${resource.kind}`}>
              ${link
                ? html`<a class="button crisis-button" href=${link} rel="noopener">${resource.label}</a>`
                : html`<span>${resource.label}: ${resource.contact}</span>`}
            </li>
          `;
        })}
      </ul>
      <p class="not-emergency"><strong>${safety.not_emergency_care}</strong></p>
      ${safety.offline && html`<p class="muted">${tCrisis('crisis.offline_note')}</p>`}
      ${safety.refused && html`<p class="error">${tCrisis('crisis.refused_note')}</p>`}
      <button type="button" class="button" onClick=${onContinue}>${tCrisis('crisis.continue')}</button>
    <//>
  `;
}
