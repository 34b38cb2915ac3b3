// Exports on the clinic page: every patient's record as FHIR Bulk Data (started here, followed
// while it runs, its NDJSON files linked when done) or as one CSV file, and the API tokens an
// integration exports with. Clinicians export; admins see and revoke the tokens only (they do
// not read patients' records). The FHIR routes answer in FHIR's own way (202, Content-Location,
// OperationOutcome), so the export is started with fetch, not through api.js.
import { html, useEffect, useState } from '../html.js';
import { api, ApiError } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { announce, Button, Chip, ErrorNote, Field, useApi, useStylesheet } from '../ui.js';

// How often the list is read again while an export waits or runs.
const POLL_MS = 2500;
const TONES = { queued: 'info', running: 'info', completed: 'good', failed: 'danger', cancelled: 'muted', expired: 'muted' };
const ACTIVE = new Set(['queued', 'running']);

const size = (bytes) =>
  bytes >= 1048576
    ? `${formatNumber(bytes / 1048576, { maximumFractionDigits: 1 })} MB`
    : `${formatNumber(Math.max(1, Math.round(bytes / 1024)))} KB`;

async function outcomeText(response) {
  try {
    const body = await response.json();
    const issue = body && body.issue && body.issue[0];
    return (issue && issue.diagnostics) || body.detail || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** Start a Bulk Data export of the clinic (its Group): the FHIR kick-off, as an EHR sends it. */
async function startExport(clinicId) {
  const response = await fetch(`/fhir/Group/${clinicId}/$export`, {
    headers: { accept: 'application/fhir+json', prefer: 'respond-async' },
    credentials: 'same-origin',
  });
  if (response.status !== 202) throw new ApiError(response.status, await outcomeText(response));
}

/** Cancel an export, or let a finished one's files go (the FHIR DELETE, with the CSRF token). */
const cancelExport = (job) => api.del(new URL(job.status_url).pathname);

function ExportRow({ job, onCancel }) {
  const busy = ACTIVE.has(job.status);
  const who = job.token_name ? t('timeline.exports.by_token', { name: job.token_name }) : job.requested_by_name;
  return html`
    <li class="export-item">
      <div class="export-head">
        <${Chip} tone=${TONES[job.status] || 'neutral'}>${t(`timeline.exports.status.${job.status}`)}<//>
        <span>${t('timeline.exports.started', { when: formatDateTime(job.created_at), who: who || '—' })}</span>
        ${busy && html`<span class="muted" role="status">${job.progress}</span>`}
        ${(busy || job.status === 'completed') &&
        html`<${Button} size="small" onClick=${() => onCancel(job)}>
          ${busy ? t('timeline.exports.cancel') : t('timeline.exports.delete_files')}
        <//>`}
      </div>
      ${busy &&
      job.patients_total > 0 &&
      html`<progress max=${job.patients_total} value=${job.patients_done} aria-label=${job.progress}></progress>`}
      ${job.status === 'failed' && html`<p class="error-text">${t('timeline.exports.failed', { reason: job.error || '—' })}</p>`}
      ${job.status === 'completed' &&
      html`
        <ul class="export-files">
          ${job.files.map(
            (f) => html`
              <li key=${f.url}>
                <a href=${new URL(f.url).pathname} download>
                  ${f.kind === 'error' ? t('timeline.exports.errors_file') : f.type}
                </a>
                <span class="muted">${t('timeline.exports.file_detail', { count: f.count, n: formatNumber(f.count), size: size(f.size_bytes) })}</span>
              </li>
            `,
          )}
        </ul>
        ${job.expires_at && html`<p class="hint">${t('timeline.exports.expires', { when: formatDateTime(job.expires_at) })}</p>`}
      `}
    </li>
  `;
}

function BulkExports({ clinicId }) {
  const { data, error, reload } = useApi(() => api.get('/api/clinic/exports'), []);
  const [problem, setProblem] = useState(null);
  const [starting, setStarting] = useState(false);
  const active = (data || []).some((job) => ACTIVE.has(job.status));
  useEffect(() => {
    if (!active) return undefined;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [data]);

  const start = async () => {
    setStarting(true);
    setProblem(null);
    try {
      await startExport(clinicId);
      announce(t('timeline.exports.queued'));
      reload();
    } catch (e) {
      setProblem(e);
    } finally {
      setStarting(false);
    }
  };
  const cancel = async (job) => {
    setProblem(null);
    try {
      await cancelExport(job);
      announce(t('timeline.exports.cancelled'));
      reload();
    } catch (e) {
      setProblem(e);
    }
  };
  const shown = (data || []).filter((job) => job.status !== 'cancelled');
  return html`
    <div class="export-actions">
      <${Button} kind="primary" busy=${starting} onClick=${start}>${t('timeline.exports.start')}<//>
      <a class="button" href="/api/clinic/export.csv" download>${t('timeline.exports.csv')}</a>
    </div>
    <p class="hint">${t('timeline.exports.hint')}</p>
    <${ErrorNote} error=${problem || error} />
    ${shown.length > 0 &&
    html`
      <h3>${t('timeline.exports.recent')}</h3>
      <ul class="export-list">
        ${shown.map((job) => html`<${ExportRow} key=${job.id} job=${job} onCancel=${cancel} />`)}
      </ul>
    `}
  `;
}

function Tokens({ canCreate }) {
  const { data, error, reload } = useApi(() => api.get('/api/clinic/api-tokens'), []);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [made, setMade] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);

  const create = async (event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const created = await api.post('/api/clinic/api-tokens', {
        name,
        expires_in_days: days === 'never' ? null : Number(days),
      });
      setMade(created);
      setName('');
      announce(t('timeline.exports.tokens.made'));
      reload();
    } catch (e) {
      setProblem(e);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (token) => {
    setProblem(null);
    try {
      await api.del(`/api/clinic/api-tokens/${token.id}`);
      announce(t('timeline.exports.tokens.revoked_now', { name: token.name }));
      if (made && made.id === token.id) setMade(null);
      reload();
    } catch (e) {
      setProblem(e);
    }
  };
  return html`
    <h3 id="tokens-title">${t('timeline.exports.tokens.title')}</h3>
    <p class="hint">${t('timeline.exports.tokens.hint')}</p>
    ${canCreate &&
    html`
      <form class="token-form" onSubmit=${create} aria-labelledby="tokens-title">
        <${Field} label=${t('timeline.exports.tokens.name')} error=${problem && problem.fields && problem.fields.name}>
          ${(p) => html`<input ...${p} type="text" required maxlength="100" value=${name} onInput=${(e) => setName(e.target.value)} placeholder=${t('timeline.exports.tokens.name_example')} />`}
        <//>
        <${Field} label=${t('timeline.exports.tokens.expires')}>
          ${(p) => html`
            <select ...${p} value=${days} onChange=${(e) => setDays(e.target.value)}>
              ${['30', '90', '365'].map((d) => html`<option value=${d}>${t('timeline.exports.tokens.days', { days: d })}</option>`)}
              <option value="never">${t('timeline.exports.tokens.never')}</option>
            </select>
          `}
        <//>
        <${Button} type="submit" busy=${busy}>${t('timeline.exports.tokens.make')}<//>
      </form>
    `}
    ${made &&
    html`
      <div class="token-made" role="status">
        <p><strong>${t('timeline.exports.tokens.copy_now', { name: made.name })}</strong></p>
        <code class="token-value">${made.token}</code>
        <p class="hint">${t('timeline.exports.tokens.how')}</p>
      </div>
    `}
    <${ErrorNote} error=${problem || error} withFields=${false} />
    ${data && data.length === 0 && html`<p class="empty">${t('timeline.exports.tokens.none')}</p>`}
    ${data &&
    data.length > 0 &&
    html`
      <ul class="token-list">
        ${data.map(
          (token) => html`
            <li key=${token.id} class=${token.revoked_at ? 'revoked' : ''}>
              <span class="token-name">${token.name}</span>
              <code>${token.hint}…</code>
              <span class="muted">
                ${token.revoked_at
                  ? t('timeline.exports.tokens.revoked', { when: formatDateTime(token.revoked_at), who: token.revoked_by_name || '—' })
                  : t('timeline.exports.tokens.made_by', { who: token.created_by_name || '—', when: formatDateTime(token.created_at) })}
                ${' · '}
                ${token.last_used_at ? t('timeline.exports.tokens.used', { when: formatDateTime(token.last_used_at) }) : t('timeline.exports.tokens.unused')}
                ${token.expires_at && !token.revoked_at ? html` · ${t('timeline.exports.tokens.until', { when: formatDateTime(token.expires_at) })}` : ''}
              </span>
              ${!token.revoked_at &&
              html`<${Button} size="small" kind="danger" onClick=${() => revoke(token)} aria-label=${t('timeline.exports.tokens.revoke_named', { name: token.name })}>
                ${t('timeline.exports.tokens.revoke')}
              <//>`}
            </li>
          `,
        )}
      </ul>
    `}
  `;
}

/** The exports card of the clinic page; `me` is who is signed in. */
export function Exports({ me }) {
  useStylesheet(import.meta.url);
  const clinician = me.role === 'clinician';
  return html`
    <section class="card exports" aria-labelledby="exports-title">
      <h2 id="exports-title">${t('timeline.exports.title')}</h2>
      ${clinician ? html`<${BulkExports} clinicId=${me.clinic.id} />` : html`<p class="hint">${t('timeline.exports.admins')}</p>`}
      <${Tokens} canCreate=${clinician} />
    </section>
  `;
}
