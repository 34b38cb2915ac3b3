// Check-in screens reached from Today or straight from a reminder (/#/checkin/<instrument>), each
// worded as the instrument registry serves it in the patient's language.
import { html, useEffect, useState } from '../html.js';
import { currentLanguage, t } from '../i18n.js';
import { useAppState } from '../store.js';
import { loadInstruments } from '../session.js';
import { queueCheckin } from '../outbox.js';
import { ErrorNote, Loading, SavedNote, ScaleButtons, Screen, wordingLang } from '../ui.js';
import Questionnaire from './questionnaire.js';
import After from './after.js';

function DailyCheckin({ instrument }) {
  const [saved, setSaved] = useState(null);
  const item = instrument.items[0];
  const pick = async (value) => setSaved(await queueCheckin(instrument.id, [value]));
  return html`
    <${Screen} title=${instrument.name} titleLang=${wordingLang(instrument)}>
      ${wordingLang(instrument) !== currentLanguage() && html`<p class="hint wording-note">${t('questionnaire.english_only')}</p>`}
      <p class="stem" id="daily-stem" lang=${wordingLang(instrument)}>${instrument.stem}</p>
      <${ScaleButtons}
        item=${item}
        picked=${saved?.answers[0]}
        onPick=${pick}
        labelledBy="daily-stem"
        lang=${wordingLang(instrument)}
      />
      <${SavedNote} entry=${saved} />
      ${saved && html`<a class="button primary" href="#/today">${t('common.back_to_today')}</a>`}
    <//>
  `;
}

export default function Checkin({ which }) {
  const { instruments } = useAppState();
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!instruments) loadInstruments().catch(() => setError(t('checkin.instruments_unavailable')));
  }, [instruments]);
  if (error) return html`<${Screen} title=${t('checkin.title')}><${ErrorNote} error=${error} /><//>`;
  if (!instruments) return html`<${Screen} title=${t('checkin.title')}><${Loading} /><//>`;
  const instrument = instruments[which];
  if (which === 'phq9' || which === 'gad7') {
    return html`<${Questionnaire} key=${which} instrument=${instrument} />`;
  }
  if (which === 'after') return html`<${After} instrument=${instrument} />`;
  return html`<${DailyCheckin} key=${which} instrument=${instrument} />`;
}
