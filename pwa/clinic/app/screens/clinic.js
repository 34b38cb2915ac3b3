// The clinic page: pooled relief (Kaplan-Meier) by route and by infusion kind, response and
// remission rates, days between boosters and check-in completion. One read, one audit row:
// GET /api/clinic/outcomes. Under them, the questionnaire translations awaiting a clinician, and
// each language's crisis text for a clinician to confirm (clinic-crisis-texts.js).
import { html, useMemo } from '../html.js';
import { api } from '../api.js';
import { currentLanguage, formatDateTime, formatNumber, t } from '../i18n.js';
import { DataTable, ErrorNote, Loading, Page, useApi, useStylesheet } from '../ui.js';
import { useMe } from '../session.js';
import { KmChart, ensureUplotCss } from './timeline-chart.js';
import { Exports } from './clinic-exports.js';
import { CrisisTexts } from './clinic-crisis-texts.js';
import { kmSentence } from './timeline-parts.js';

const COLOURS = ['--km-1', '--km-2', '--km-3', '--km-4', '--km-5'];
const DASHES = [undefined, [6, 4], [2, 3], [10, 3, 2, 3], [1, 2]];

const percent = (value) => (value === null || value === undefined ? '—' : formatNumber(value, { style: 'percent' }));
const days = (value) => (value === null || value === undefined ? '—' : formatNumber(value, { maximumFractionDigits: 0 }));

function nameOf(pooled) {
  if (pooled.route) return t(`timeline.route.${pooled.route}`);
  if (pooled.kind) return t(`timeline.kind.${pooled.kind}`);
  return t('timeline.clinic.all');
}

function landmark(km, day) {
  const found = km.landmarks.find((l) => l.day === day);
  return found && found.survival !== null ? percent(found.survival) : '—';
}

function Strata({ id, title, overall, strata }) {
  const rows = [overall, ...strata];
  const curves = useMemo(
    () => strata.map((p, i) => ({ label: nameOf(p), km: p.km, colour: COLOURS[i % COLOURS.length], dash: DASHES[i % DASHES.length] })),
    [strata],
  );
  return html`
    <section class="card" aria-labelledby=${`${id}-title`}>
      <h2 id=${`${id}-title`}>${title}</h2>
      ${strata.length === 0
        ? html`<p class="empty">${t('timeline.clinic.no_episodes')}</p>`
        : html`
            <div class="strata-grid">
              <div class="strata-chart">
                <${KmChart} curves=${curves} height=${240} label=${t('timeline.clinic.km_label', { what: title })} />
                <ul class="chart-legend">
                  ${strata.map((p, i) => html`<li><span class=${`key key-km-${(i % COLOURS.length) + 1}`} aria-hidden="true"></span>${nameOf(p)}</li>`)}
                </ul>
              </div>
              <${DataTable}
                caption=${title}
                captionHidden=${true}
                rows=${rows}
                rowKey=${(p) => `${p.route}-${p.kind}`}
                columns=${[
                  { key: 'name', label: t('timeline.clinic.col.stratum'), render: (p) => (p === overall ? html`<strong>${nameOf(p)}</strong>` : nameOf(p)) },
                  { key: 'episodes', label: t('timeline.clinic.col.episodes'), numeric: true, render: (p) => p.episodes },
                  { key: 'response', label: t('timeline.clinic.col.response'), numeric: true, render: (p) => html`${percent(p.response_rate)} <span class="muted">(${p.responding}/${p.assessed})</span>` },
                  { key: 'remission', label: t('timeline.clinic.col.remission'), numeric: true, render: (p) => html`${percent(p.remission_rate)} <span class="muted">(${p.remitted}/${p.assessed})</span>` },
                  { key: 'relief', label: t('timeline.clinic.col.relief'), render: (p) => kmSentence(p.km) },
                  { key: 'landmarks', label: t('timeline.clinic.col.landmarks'), numeric: true, render: (p) => `${landmark(p.km, 28)} · ${landmark(p.km, 56)}` },
                ]}
              />
            </div>
          `}
    </section>
  `;
}

function Boosters({ spacing }) {
  return html`
    <section class="card" aria-labelledby="boosters-title">
      <h2 id="boosters-title">${t('timeline.clinic.boosters.title')}</h2>
      <p class="hint">${t('timeline.clinic.boosters.hint')}</p>
      <${DataTable}
        caption=${t('timeline.clinic.boosters.title')}
        captionHidden=${true}
        rows=${spacing}
        rowKey=${(s) => s.kind}
        columns=${[
          { key: 'kind', label: t('timeline.clinic.boosters.kind'), render: (s) => (s.kind === 'all' ? html`<strong>${t('timeline.clinic.boosters.all')}</strong>` : t(`timeline.kind.${s.kind}`)) },
          { key: 'count', label: t('timeline.clinic.boosters.count'), numeric: true, render: (s) => s.days.count },
          { key: 'median', label: t('timeline.clinic.boosters.median'), numeric: true, render: (s) => days(s.days.median) },
          {
            key: 'iqr',
            label: t('timeline.clinic.boosters.iqr'),
            numeric: true,
            render: (s) => (s.days.count ? `${days(s.days.lower_quartile)}–${days(s.days.upper_quartile)}` : '—'),
          },
        ]}
      />
    </section>
  `;
}

function Completion({ completion: c }) {
  return html`
    <section class="card" aria-labelledby="completion-title">
      <h2 id="completion-title">${t('timeline.clinic.completion.title', { days: c.days })}</h2>
      ${c.patients === 0
        ? html`<p class="empty">${t('timeline.clinic.completion.none')}</p>`
        : html`
            <dl class="figures">
              <div><dt>${t('timeline.clinic.completion.mood')}</dt><dd>${percent(c.mood_rate)}</dd><dd class="muted">${t('timeline.clinic.completion.mood_detail', { answered: c.mood_days_answered, expected: c.mood_days_expected })}</dd></div>
              <div><dt>${t('timeline.clinic.completion.phq9')}</dt><dd>${percent(c.phq9_rate)}</dd><dd class="muted">${t('timeline.clinic.completion.phq9_detail', { answered: c.phq9_weeks_answered, expected: c.phq9_weeks_expected })}</dd></div>
              <div><dt>${t('timeline.clinic.completion.mostly')}</dt><dd>${c.patients_mostly_answering} / ${c.patients}</dd><dd class="muted">${t('timeline.clinic.completion.mostly_detail')}</dd></div>
            </dl>
          `}
    </section>
  `;
}

function languageName(code) {
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * The questionnaire translations patients read that a clinician has yet to confirm against the
 * publisher's form (with the published copies they were taken from), and the questionnaires
 * patients of a language are shown in English (with why). GET /api/instruments/wordings.
 */
function Wordings() {
  const { data, error } = useApi(() => api.get('/api/instruments/wordings'), []);
  const awaiting = (data || []).filter((w) => w.review === 'awaiting_clinician');
  const english = (data || []).filter((w) => w.status === 'english');
  const heading = (w) => t('timeline.clinic.wordings.heading', { instrument: w.instrument_name, language: languageName(w.lang) });
  return html`
    <section class="card wordings" aria-labelledby="wordings-title">
      <h2 id="wordings-title">${t('timeline.clinic.wordings.title')}</h2>
      <p class="hint">${t('timeline.clinic.wordings.hint')}</p>
      <${ErrorNote} error=${error} />
      ${data && awaiting.length + english.length === 0 && html`<p class="empty">${t('timeline.clinic.wordings.none')}</p>`}
      ${awaiting.map(
        (w) => html`
          <article class="wording" key=${`${w.instrument}-${w.lang}`}>
            <h3>${heading(w)} <span class="chip chip-warn">${t('timeline.clinic.wordings.awaiting')}</span></h3>
            <p lang="en">${w.note}</p>
            <h4>${t('timeline.clinic.wordings.sources')}</h4>
            <ul class="sources">
              ${w.sources.map((s) => html`<li><span class="source-where">${s.where}</span> <span class="muted" lang="en">${s.what}</span></li>`)}
            </ul>
          </article>
        `,
      )}
      ${english.map(
        (w) => html`
          <article class="wording" key=${`${w.instrument}-${w.lang}`}>
            <h3>${heading(w)} <span class="chip chip-muted">${t('timeline.clinic.wordings.english')}</span></h3>
            <p lang="en">${w.note}</p>
          </article>
        `,
      )}
    </section>
  `;
}

export default function ClinicScreen() {
  useStylesheet(new URL('./patient.js', import.meta.url).href);
  useStylesheet(import.meta.url);
  ensureUplotCss();
  const { data, error, loading } = useApi(() => api.get('/api/clinic/outcomes'), []);
  const me = useMe();
  const relief = data && data.relief;
  return html`
    <${Page} title=${t('timeline.clinic.title')} lead=${data ? t('timeline.clinic.lead', { date: formatDateTime(data.generated_at) }) : null} className="clinic-page">
      <${ErrorNote} error=${error} />
      ${loading && !data && html`<${Loading} />`}
      ${data &&
      html`
        <section class="card overall" aria-labelledby="overall-title">
          <h2 id="overall-title">${t('timeline.clinic.overall.title')}</h2>
          <dl class="figures">
            <div><dt>${t('timeline.clinic.overall.episodes')}</dt><dd>${relief.overall.episodes}</dd></div>
            <div><dt>${t('timeline.clinic.col.response')}</dt><dd>${percent(relief.overall.response_rate)}</dd><dd class="muted">${relief.overall.responding}/${relief.overall.assessed}</dd></div>
            <div><dt>${t('timeline.clinic.col.remission')}</dt><dd>${percent(relief.overall.remission_rate)}</dd><dd class="muted">${relief.overall.remitted}/${relief.overall.assessed}</dd></div>
            <div><dt>${t('timeline.clinic.col.relief')}</dt><dd class="figure-text">${kmSentence(relief.overall.km)}</dd></div>
          </dl>
          <p class="hint">${t('timeline.clinic.overall.hint')}</p>
        </section>
        <${Strata} id="by-route" title=${t('timeline.clinic.by_route')} overall=${relief.overall} strata=${relief.by_route} />
        <${Strata} id="by-kind" title=${t('timeline.clinic.by_kind')} overall=${relief.overall} strata=${relief.by_kind} />
        <div class="clinic-grid">
          <${Boosters} spacing=${data.booster_spacing} />
          <${Completion} completion=${data.completion} />
        </div>
      `}
      <${Wordings} />
      ${me && html`<${CrisisTexts} me=${me} />`}
      ${me && html`<${Exports} me=${me} />`}
    <//>
  `;
}
