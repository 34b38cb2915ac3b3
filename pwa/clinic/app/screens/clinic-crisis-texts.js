// The crisis screen in other languages, on the clinic page (GET /api/clinic/crisis-texts). Until
// Afterglow's own review covers a language, a clinician of the clinic who reads it reads its whole
// crisis text as the clinic's patients would (every line beside its English) and confirms it; any
// later change to the text puts patients back on English until a clinician confirms it again.
// Clinicians confirm; clinicians and admins may withdraw a confirmation.
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { displayNames } from '../countries.js';
import { currentLanguage, formatDate, t } from '../i18n.js';
import { announce, Button, Chip, DataTable, ErrorNote, Notice, useApi, useStylesheet } from '../ui.js';

const TONES = { reviewed: 'good', confirmed: 'good', partly: 'warn', changed: 'danger', awaiting: 'warn' };
const TO_CONFIRM = new Set(['awaiting', 'changed', 'partly']);

const list = (items, type) => {
  const names = displayNames(currentLanguage(), type);
  return new Intl.ListFormat(currentLanguage(), { type: 'conjunction' }).format(items.map((c) => names.of(c)));
};

/**
 * What patients who read the language see now, in one sentence: `${prefix}<status>` of the
 * screen's area (the clinic page's, or the admin settings'), filled with who confirmed it, when,
 * and for which countries.
 */
export function crisisStanding(text, language, prefix = 'timeline.crisis.status_') {
  const c = text.confirmation;
  const params = { language, uncovered: list(text.uncovered, 'region') };
  if (c) Object.assign(params, { name: c.clinician_name, date: formatDate(c.confirmed_at), countries: list(c.countries, 'region') });
  return t(`${prefix}${text.status}`, params);
}

function Lines({ text, language }) {
  const regions = displayNames(currentLanguage(), 'region');
  const groups = [null, ...text.countries].map((country) => ({
    country,
    caption: country ? t('timeline.crisis.group_country', { country: regions.of(country) }) : t('timeline.crisis.group_screen'),
    lines: text.lines.filter((line) => line.country === country),
  }));
  return groups.map(
    (group) => html`
      <${DataTable}
        key=${group.country || 'screen'}
        caption=${group.caption}
        rows=${group.lines}
        rowKey=${(line) => `${line.country}-${line.key}`}
        columns=${[
          {
            key: 'english',
            label: t('timeline.crisis.col_english'),
            className: 'crisis-line crisis-english',
            render: (line) => html`<span class="crisis-column" aria-hidden="true">${t('timeline.crisis.col_english')}</span><span lang="en">${line.english}</span>`,
          },
          {
            key: 'text',
            label: language,
            className: 'crisis-line',
            render: (line) => html`
              <span class="crisis-column" aria-hidden="true">${language}</span>
              ${line.text ? html`<span lang=${text.lang}>${line.text}</span>` : html`<span class="field-error">${t('timeline.crisis.unworded_line')}</span>`}
              ${line.source && html`<span class="crisis-source">${t('timeline.crisis.source')} <span lang="en">${line.source}</span></span>`}
            `,
          },
        ]}
      />
    `,
  );
}

function CrisisLanguage({ text, me, onChange }) {
  const language = displayNames(currentLanguage(), 'language').of(text.lang);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const clinician = me.role === 'clinician';
  const toConfirm = TO_CONFIRM.has(text.status);
  const act = async (path, body, said) => {
    setBusy(true);
    setError(null);
    try {
      onChange(await api.post(`/api/clinic/crisis-texts/${path}`, body));
      announce(said);
    } catch (e) {
      setError(e);
      // A 409 means the text changed since it was shown: show the text as it is now.
      if (e.status === 409) onChange(null);
    } finally {
      setBusy(false);
    }
  };
  const confirm = () => act('confirm', { lang: text.lang, text_sha256: text.text_sha256 }, t('timeline.crisis.confirmed_now', { language }));
  const withdraw = () => act('withdraw', { lang: text.lang }, t('timeline.crisis.withdrawn_now', { language }));
  return html`
    <article class="crisis-language" aria-labelledby=${`crisis-${text.lang}`}>
      <h3 id=${`crisis-${text.lang}`}>
        ${t('timeline.crisis.heading', { language })}
        <${Chip} tone=${TONES[text.status] || 'neutral'}>${t(`timeline.crisis.chip_${text.status}`)}<//>
      </h3>
      <p>${crisisStanding(text, language)}</p>
      ${text.status !== 'reviewed' &&
      html`
        <details class="crisis-text" open=${clinician && toConfirm}>
          <summary>${t('timeline.crisis.read_text', { language })}</summary>
          <p class="hint">${t('timeline.crisis.text_hint', { language })}</p>
          <${Lines} text=${text} language=${language} />
        </details>
      `}
      ${toConfirm && text.unworded.length > 0 && html`<${Notice} tone="warn">${t('timeline.crisis.unworded', { language })}<//>`}
      <${ErrorNote} error=${error} withFields=${false} />
      <div class="crisis-actions">
        ${toConfirm &&
        text.unworded.length === 0 &&
        (clinician
          ? html`
              <p class="hint">${t('timeline.crisis.confirm_hint', { language, name: me.display_name })}</p>
              <${Button} kind="primary" busy=${busy} onClick=${confirm}>${t('timeline.crisis.confirm', { language })}<//>
            `
          : html`<p class="hint">${t('timeline.crisis.admin_hint', { language })}</p>`)}
        ${text.confirmation &&
        html`<${Button} kind="danger" busy=${busy} onClick=${withdraw}>${t('timeline.crisis.withdraw')}<//>`}
      </div>
    </article>
  `;
}

/** The clinic page's card: one section per language of the app besides English. */
export function CrisisTexts({ me }) {
  useStylesheet(import.meta.url);
  const { data, error, reload, setData } = useApi(() => api.get('/api/clinic/crisis-texts'), []);
  const onChange = (changed) => (changed ? setData((texts) => texts.map((x) => (x.lang === changed.lang ? changed : x))) : reload());
  return html`
    <section class="card crisis-texts" aria-labelledby="crisis-texts-title">
      <h2 id="crisis-texts-title">${t('timeline.crisis.title')}</h2>
      <p class="hint">${t('timeline.crisis.lead')}</p>
      <${ErrorNote} error=${error} />
      ${(data || []).map((text) => html`<${CrisisLanguage} key=${text.lang} text=${text} me=${me} onChange=${onChange} />`)}
    </section>
  `;
}
