// The side-effect check after an infusion: every item on one screen, each a 0-3 radio group.
import { html, useState } from '../html.js';
import { currentLanguage, t } from '../i18n.js';
import { queueCheckin } from '../outbox.js';
import { ErrorNote, Screen, wordingLang } from '../ui.js';

export default function After({ instrument }) {
  const [answers, setAnswers] = useState({});
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [sending, setSending] = useState(false);

  if (done) {
    return html`
      <${Screen} title=${t('after.done_title')}>
        ${done.status === 'failed'
          ? html`<p class="error" role="alert">${t('after.done_refused')}</p>`
          : html`<p>${done.status === 'sent' ? t('after.done_sent') : t('after.done_waiting')}</p>`}
        <a class="button primary" href="#/today">${t('common.back_to_today')}</a>
      <//>
    `;
  }

  const lang = wordingLang(instrument);
  const submit = async (event) => {
    event.preventDefault();
    const missing = instrument.items.find((item) => item.required && answers[item.id] == null);
    if (missing) {
      setError(t('after.missing', { item: missing.text }));
      document.getElementById(`after-${missing.id}-0`)?.focus();
      return;
    }
    setSending(true);
    const values = instrument.items
      .filter((item) => item.required || answers[item.id] != null)
      .map((item) => answers[item.id]);
    const entry = await queueCheckin(instrument.id, values, note.trim() || null);
    setSending(false);
    // Refused or not, the answers are kept on this phone: Today lists what was refused.
    setDone(entry);
  };

  return html`
    <${Screen} title=${instrument.name} titleLang=${lang}>
      <form class="after-form" onSubmit=${submit} novalidate>
        ${lang !== currentLanguage() && html`<p class="hint wording-note">${t('questionnaire.english_only')}</p>`}
        <p class="stem" lang=${lang}>${instrument.stem}</p>
        ${instrument.items.map(
          (item) => html`
            <fieldset class="radio-group" lang=${lang}>
              <legend>${item.text}</legend>
              ${item.options.map(
                (option) => html`
                  <label class="radio">
                    <input
                      type="radio"
                      id=${`after-${item.id}-${option.value}`}
                      name=${item.id}
                      value=${option.value}
                      checked=${answers[item.id] === option.value}
                      onChange=${() => setAnswers({ ...answers, [item.id]: option.value })}
                    />
                    <span>${option.label}</span>
                  </label>
                `,
              )}
            </fieldset>
          `,
        )}
        <label class="field">
          <span lang=${lang}>${instrument.free_text_label}</span>
          <textarea rows="3" maxlength="2000" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
        </label>
        <${ErrorNote} error=${error} />
        <button type="submit" class="button primary" disabled=${sending}>${t('after.submit')}</button>
      </form>
    <//>
  `;
}
