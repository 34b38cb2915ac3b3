// One patient's enrollment: whether they have set up the app, the printable handout with their
// one-time link as a QR code (right after adding them, or after issuing a new link), and issuing
// a new link (the earlier one stops working).
import { html, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { Button, Chip, ErrorNote, Loading, Notice, Page, announce, useApi, useStylesheet } from '../ui.js';
import { Handout, takeHandout } from './handout.js';
import { BackToPatient, usePatient } from './record-parts.js';

export default function EnrollmentScreen({ params }) {
  useStylesheet(import.meta.url);
  const id = params.id;
  const patient = usePatient(id);
  const status = useApi(() => api.get(`/api/patients/${id}/enrollment`), [id]);
  const [handout, setHandout] = useState(() => takeHandout(id));
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const name = patient.data?.display_name;

  const issue = async () => {
    setBusy(true);
    setError(null);
    try {
      const issued = await api.post(`/api/patients/${id}/enrollment`);
      setHandout(issued);
      setConfirming(false);
      status.reload();
      announce(t('records.enrollment.issued'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (patient.error) return html`<${Page} title=${t('records.enrollment.title')}><${ErrorNote} error=${patient.error} /><//>`;
  if (!patient.data || !status.data) return html`<${Page} title=${t('records.enrollment.title')}><${Loading} /><//>`;
  const s = status.data;
  const actions = html`
    <${BackToPatient} id=${id} name=${name} />
    ${handout && html`<${Button} kind="primary" onClick=${() => window.print()}>${t('records.enrollment.print')}<//>`}
  `;
  return html`
    <${Page} title=${t('records.enrollment.title_for', { name })} className="enrollment-page" actions=${actions}>
      <div class="card enrollment-status">
        ${s.enrolled
          ? html`<p><${Chip} tone="good">${t('records.enrollment.enrolled')}<//> ${t('records.enrollment.enrolled_body')}</p>`
          : s.link_expires_at
            ? html`<p><${Chip} tone="info">${t('records.enrollment.waiting')}<//> ${t('records.enrollment.waiting_body', { issued: formatDateTime(s.link_issued_at), expires: formatDateTime(s.link_expires_at) })}</p>`
            : html`<p><${Chip} tone="warn">${t('records.enrollment.no_link')}<//> ${t('records.enrollment.no_link_body')}</p>`}
        ${!s.enrolled &&
        html`
          <p class="hint">${t('records.enrollment.shown_once')}</p>
          ${confirming
            ? html`<div class="confirm-row" role="group" aria-label=${t('records.enrollment.new_link')}>
                <p>${t('records.enrollment.confirm')}</p>
                <${Button} kind="primary" busy=${busy} onClick=${issue}>${t('records.enrollment.issue')}<//>
                <${Button} onClick=${() => setConfirming(false)}>${t('common.cancel')}<//>
              </div>`
            : html`<${Button} kind=${handout ? 'secondary' : 'primary'} onClick=${() => (s.link_expires_at || handout ? setConfirming(true) : issue())} busy=${busy}>
                ${t('records.enrollment.new_link')}
              <//>`}
          <${ErrorNote} error=${error} />
        `}
      </div>
      ${handout &&
      html`
        <${Notice} tone="info">${t('records.enrollment.print_hint')}<//>
        <div class="handout-sheet"><${Handout} patient=${patient.data} handout=${handout} /></div>
      `}
    <//>
  `;
}
