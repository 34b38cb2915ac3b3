// The journal entries a patient shares with the clinic, newest first. They come with the
// timeline's one audited read; private entries never leave the server. They are the patient's
// own words: shown as written, never scored or summarised.
import { html } from '../html.js';
import { formatDateTime, t } from '../i18n.js';

const WORDS = ['stood_out', 'day_after', 'carry_forward', 'text'];

function when(entry) {
  const shared = t('timeline.journal.shared', { date: formatDateTime(entry.shared_at) });
  if (!entry.edited_at) return shared;
  return `${shared} · ${t('timeline.journal.edited', { date: formatDateTime(entry.edited_at) })}`;
}

export function SharedJournal({ entries }) {
  return html`
    <section class="card" aria-labelledby="journal-title">
      <h2 id="journal-title">${t('timeline.journal.title', { count: entries.length })}</h2>
      <p class="hint">${t('timeline.journal.hint')}</p>
      ${entries.length === 0
        ? html`<p>${t('timeline.journal.none')}</p>`
        : html`
            <ol class="journal-entries">
              ${entries
                .slice()
                .reverse()
                .map(
                  (entry) => html`
                    <li class="journal-entry">
                      <h3>${formatDateTime(entry.written_at)}</h3>
                      <p class="muted">${when(entry)}</p>
                      <dl>
                        ${WORDS.filter((name) => entry[name]).map(
                          (name) => html`<dt>${t(`timeline.journal.prompt.${name}`)}</dt><dd>${entry[name]}</dd>`,
                        )}
                      </dl>
                    </li>
                  `,
                )}
            </ol>
          `}
    </section>
  `;
}
