// PHQ-9 and GAD-7, one item per screen, worded exactly as the instrument registry serves them,
// with the attribution on every screen. The score and band come at the end; when PHQ-9 item 9
// is 1 or more, the crisis screen comes first.
import { html, useEffect, useRef, useState } from '../html.js';
import { t, has } from '../i18n.js';
import { go } from '../router.js';
import { queueCheckin } from '../outbox.js';
import { Attribution, ErrorNote, Screen, wordingLang } from '../ui.js';
import Crisis, { offlineSafety } from './crisis.js';

const Outbox = self.AfterglowOutbox;

export function localScore(instrument, answers) {
  const score = instrument.items.reduce(
    (sum, item, i) => (item.scored && answers[i] != null ? sum + answers[i] : sum),
    0,
  );
  const band = instrument.bands.find((b) => b.low <= score && score <= b.high) || null;
  return { score, band: band?.id || null, band_label: band?.label || null };
}

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

function item9Of(instrument, answers) {
  const index = instrument.items.findIndex((i) => i.id === 'phq9_9');
  return index >= 0 ? answers[index] ?? 0 : 0;
}

export function Result({ instrument, result, waiting }) {
  return html`
    <${Screen} title=${t('result.title', { name: instrument.name })} className="result">
      <p class="score">
        <span class="big-number">${result.score}</span>
        <span class="muted"> / ${instrument.score_range?.[1]}</span>
      </p>
      <p class="band">${t('result.band', { band: bandLabel(result) })}</p>
      <p>${waiting ? t('result.waiting') : t('result.sent')}</p>
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
  const [error, setError] = useState(null);
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
    setError(null);
    const asked = final.slice(0, itemsToAsk(instrument, final).length);
    const entry = await queueCheckin(instrument.id, asked);
    if (entry.status === 'failed') {
      setError(entry.error);
      setPhase('items');
      return;
    }
    const waiting = entry.status !== 'sent';
    const result = waiting ? localScore(instrument, asked) : entry.result;
    let safety = waiting ? null : entry.result.safety;
    if (safety) await Outbox.setState('safety', safety);
    if (waiting && item9Of(instrument, asked) >= 1) {
      safety = offlineSafety(await Outbox.getState('safety'));
    }
    setOutcome({ result, waiting, safety });
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
    return html`<${Result} instrument=${instrument} result=${outcome.result} waiting=${outcome.waiting} />`;
  }
  const lang = wordingLang(instrument);
  return html`
    <${Screen} title=${instrument.name} titleLang=${lang} className="questionnaire">
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
      <${ErrorNote} error=${error} />
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
