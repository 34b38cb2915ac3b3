// PHQ-9 and GAD-7, one item per screen, worded exactly as the instrument registry serves them in
// the patient's language (or in English whole, said so, where that language has no confirmed
// published version), with the attribution on every screen. The score and band come at the end; when PHQ-9 item 9
// is 1 or more, the crisis screen comes first.
import { html, useEffect, useRef, useState } from '../html.js';
import { currentLanguage, t, has } from '../i18n.js';
import { go } from '../router.js';
import { queueCheckin } from '../outbox.js';
import { item9Of, localScore } from '../checkins.js';
import { Attribution, Screen, wordingLang } from '../ui.js';
import Crisis, { lastKnownSafety, offlineSafety, refusedSafety } from './crisis.js';

const Outbox = self.AfterglowOutbox;

export function bandLabel(result) {
  if (!result?.band) return '';
  const key = `band.${result.band}`;
  return has(key) ? t(key) : result.band_label;
}

/** Items to ask: the required ones, then optional ones (PHQ-9's difficulty item) once a problem was checked. */
function itemsToAsk(instrument, answers) {
  const required = instrument.items.filter((i) => i.required);
  const anyProblem = answers.some((a, i) => instrument.items[i]?.scored && a > 0);
  return anyProblem ? instrument.items : required;
}

function sendingOutcome(status) {
  if (status === 'sent') return html`<p>${t('result.sent')}</p>`;
  if (status === 'failed') return html`<p class="error" role="alert">${t('result.refused')}</p>`;
  return html`<p>${t('result.waiting')}</p>`;
}

export function Result({ instrument, result, status }) {
  return html`
    <${Screen} title=${t('result.title', { name: instrument.name })} className="result">
      <p class="score">
        <span class="big-number">${result.score}</span>
        <span class="muted"> / ${instrument.score_range?.[1]}</span>
      </p>
      <p class="band">${t('result.band', { band: bandLabel(result) })}</p>
      ${sendingOutcome(status)}
      <a class="button primary" href="#/today">${t('common.back_to_today')}</a>
      <${Attribution} instrument=${instrument} />
    <//>
  `;
}

export default function Questionnaire({ instrument }) {
  const [answers, setAnswers] = useState([]);
  const [index, setIndex] = useState(0);
  const [phase, setPhase] = useState('items');
  const [outcome, setOutcome] = useState(null);
  const questionRef = useRef(null);
  const items = itemsToAsk(instrument, answers);
  const item = items[index];
  // Progress counts the scored questions; an unscored follow-up comes as "one more question".
  const total = instrument.items.filter((i) => i.required).length;

  useEffect(() => {
    if (phase === 'items' && index > 0) questionRef.current?.focus();
  }, [index, phase]);

  const submit = async (final) => {
    setPhase('sending');
    const asked = final.slice(0, itemsToAsk(instrument, final).length);
    const entry = await queueCheckin(instrument.id, asked);
    const { status } = entry;
    const result = entry.result || localScore(instrument, asked);
    let safety = entry.result?.safety || null;
    if (safety) await Outbox.setState('safety', safety);
    // Waiting, refused or stored earlier: the crisis screen never depends on the server's answer.
    if (!safety && item9Of(instrument, asked) >= 1) {
      const lastKnown = await Outbox.getState('safety');
      if (status === 'failed') safety = refusedSafety(lastKnown);
      else if (status === 'sent') safety = lastKnownSafety(lastKnown);
      else safety = offlineSafety(lastKnown);
    }
    setOutcome({ result, status, safety });
    setPhase(safety ? 'crisis' : 'result');
  };

  const answer = (value) => {
    const next = answers.slice();
    next[index] = value;
    setAnswers(next);
    const nextItems = itemsToAsk(instrument, next);
    if (index + 1 < nextItems.length) setIndex(index + 1);
    else submit(next);
  };

  const back = () => (index === 0 ? go('/today') : setIndex(index - 1));

  if (phase === 'crisis') {
    return html`<${Crisis} safety=${outcome.safety} onContinue=${() => setPhase('result')} />`;
  }
  if (phase === 'result') {
    return html`<${Result} instrument=${instrument} result=${outcome.result} status=${outcome.status} />`;
  }
  const lang = wordingLang(instrument);
  return html`
    <${Screen} title=${instrument.name} titleLang=${lang} className="questionnaire">
      ${lang !== currentLanguage() && html`<p class="hint wording-note">${t('questionnaire.english_only')}</p>`}
      <p class="stem" lang=${lang}>${instrument.stem}</p>
      <div class="progress">
        <label for="q-progress">
          ${index < total ? t('questionnaire.progress', { n: index + 1, total }) : t('questionnaire.one_more')}
        </label>
        <progress id="q-progress" max=${total} value=${Math.min(index + 1, total)}></progress>
      </div>
      <fieldset class="question" lang=${lang} aria-busy=${phase === 'sending' ? 'true' : 'false'}>
        <legend tabindex="-1" ref=${questionRef}>${item.text}</legend>
        <div class="options">
          ${item.options.map(
            (option) => html`
              <button
                type="button"
                class="option"
                aria-pressed=${answers[index] === option.value ? 'true' : 'false'}
                disabled=${phase === 'sending'}
                onClick=${() => answer(option.value)}
              >
                ${option.label}
              </button>
            `,
          )}
        </div>
      </fieldset>
      ${phase === 'sending' && html`<p role="status">${t('questionnaire.sending')}</p>`}
      <div class="actions">
        <button type="button" class="button" onClick=${back} disabled=${phase === 'sending'}>
          ${t('common.back')}
        </button>
        ${!item.required &&
        html`<button type="button" class="button" onClick=${() => submit(answers.slice(0, index))}>
          ${t('questionnaire.skip')}
        </button>`}
      </div>
      <${Attribution} instrument=${instrument} />
    <//>
  `;
}
