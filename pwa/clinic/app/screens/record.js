// Record an infusion or a clinical event for one patient, correct either, or mark either entered
// in error (kept on record, struck through, counted nowhere). The form starts from the patient's
// last infusion (drug, route, kind, dose), so a booster day is a time and a blood pressure away.
import { html, useMemo, useState } from '../html.js';
import { api } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { Button, Chip, ErrorNote, Field, Loading, Notice, Page, useApi, useStylesheet } from '../ui.js';
import { BackToPatient, changedFields, fromLocalInput, localInput, numberOrNull, usePatient, FormError } from './record-parts.js';

const KINDS = ['induction', 'scheduled_booster', 'symptom_triggered_booster'];
const DRUGS = ['racemic_ketamine', 'esketamine'];
const ROUTES = ['iv', 'im', 'intranasal', 'oral', 'sublingual'];
const EVENT_KINDS = ['hospitalisation', 'suicide_attempt', 'medication_change', 'ect_tms_start'];
const READINGS = ['before', '40min', 'discharge'];

/** The form's values for a new infusion, from the last one given (or sensible blanks). */
function blankInfusion(last) {
  return {
    given_at: localInput(),
    kind: last?.kind === 'induction' ? 'induction' : 'scheduled_booster',
    drug: last?.drug || 'racemic_ketamine',
    route: last?.route || 'iv',
    dose: last ? String(last.dose_mg_per_kg ?? last.dose_mg ?? '') : '',
    unit: last && last.dose_mg_per_kg === null && last.dose_mg !== null ? 'mg' : 'mg_per_kg',
    ...Object.fromEntries(READINGS.flatMap((r) => [[`bp_systolic_${r}`, ''], [`bp_diastolic_${r}`, '']])),
    dissociation_notes: '',
    lot_number: '',
    notes: '',
  };
}

function formOf(infusion) {
  const perKg = infusion.dose_mg_per_kg !== null;
  return {
    given_at: localInput(infusion.given_at),
    kind: infusion.kind,
    drug: infusion.drug || '',
    route: infusion.route,
    dose: String((perKg ? infusion.dose_mg_per_kg : infusion.dose_mg) ?? ''),
    unit: perKg || infusion.dose_mg === null ? 'mg_per_kg' : 'mg',
    ...Object.fromEntries(
      READINGS.flatMap((r) => [
        [`bp_systolic_${r}`, String(infusion[`bp_systolic_${r}`] ?? '')],
        [`bp_diastolic_${r}`, String(infusion[`bp_diastolic_${r}`] ?? '')],
      ]),
    ),
    dissociation_notes: infusion.dissociation_notes || '',
    lot_number: infusion.lot_number || '',
    notes: infusion.notes || '',
  };
}

/**
 * The API body of the form: the dose goes in the field of its unit. A correction in mg/kg keeps
 * the total in mg as it was (the server says when the two no longer agree); one in mg clears mg/kg.
 */
function bodyOf(form, original) {
  const dose = numberOrNull(form.dose);
  const perKg = form.unit === 'mg_per_kg';
  const body = {
    given_at: fromLocalInput(form.given_at),
    kind: form.kind,
    drug: form.drug || null,
    route: form.route,
    dose_mg_per_kg: perKg ? dose : null,
    dose_mg: perKg ? (original ? original.dose_mg : null) : dose,
    dissociation_notes: form.dissociation_notes.trim() || null,
    lot_number: form.lot_number.trim() || null,
    notes: form.notes.trim() || null,
  };
  for (const r of READINGS) {
    body[`bp_systolic_${r}`] = numberOrNull(form[`bp_systolic_${r}`]);
    body[`bp_diastolic_${r}`] = numberOrNull(form[`bp_diastolic_${r}`]);
  }
  return body;
}

function doseText(i) {
  const parts = [];
  if (i.dose_mg_per_kg !== null) parts.push(`${formatNumber(i.dose_mg_per_kg)} mg/kg`);
  if (i.dose_mg !== null) parts.push(`${formatNumber(i.dose_mg)} mg`);
  return parts.join(' · ') || '—';
}

function pressureText(i) {
  return READINGS.map((r) => {
    const s = i[`bp_systolic_${r}`];
    const d = i[`bp_diastolic_${r}`];
    return s !== null && d !== null ? `${s}/${d}` : '—';
  }).join(' → ');
}

function InfusionForm({ patientId, editing, last, onDone, onCancel }) {
  const initial = useMemo(() => (editing ? formOf(editing) : blankInfusion(last)), [editing, last?.id]);
  const [form, setForm] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [shownFor, setShownFor] = useState({ initial, editing });
  // A new starting point (another record to correct, or a new last infusion) replaces the form,
  // unless the clinician is typing a new infusion: what they typed is kept.
  const [dirty, setDirty] = useState(false);
  if (shownFor.initial !== initial && (!dirty || shownFor.editing !== editing)) {
    setShownFor({ initial, editing });
    setForm(initial);
    setError(null);
    setDirty(false);
  }
  const set = (key) => (event) => {
    setDirty(true);
    setForm((f) => ({ ...f, [key]: event.target.value }));
  };
  const fields = error?.fields || {};
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = bodyOf(form, editing);
      const saved = editing
        ? await api.patch(`/api/patients/${patientId}/infusions/${editing.id}`, changedFields(editing, body))
        : await api.post(`/api/patients/${patientId}/infusions`, body);
      setDirty(false);
      if (!editing) setForm(blankInfusion(saved));
      onDone(saved, editing ? 'corrected' : 'recorded');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const select = (key, options, label) => html`
    <${Field} label=${label} error=${fields[key]}>
      ${(p) => html`
        <select ...${p} value=${form[key]} onChange=${set(key)}>
          ${key === 'drug' && !form.drug && html`<option value="">${t('records.drug.unknown')}</option>`}
          ${options.map((o) => html`<option value=${o}>${t(`records.${key}.${o}`)}</option>`)}
        </select>
      `}
    <//>
  `;
  const doseError = fields.dose_mg_per_kg || fields.dose_mg;
  return html`
    <form class="card form record-form" onSubmit=${submit} noValidate aria-labelledby="infusion-form-title">
      <h2 id="infusion-form-title">
        ${editing ? t('records.infusion.correct_title', { when: formatDateTime(editing.given_at) }) : t('records.infusion.new_title')}
      </h2>
      <div class="record-grid">
        <${Field} label=${t('records.infusion.given_at')} error=${fields.given_at}>
          ${(p) => html`<input ...${p} type="datetime-local" required value=${form.given_at} onInput=${set('given_at')} />`}
        <//>
        ${select('kind', KINDS, t('records.infusion.kind'))}
        ${select('drug', DRUGS, t('records.infusion.drug'))}
        ${select('route', ROUTES, t('records.infusion.route'))}
        <div class="dose-pair">
          <${Field} label=${t('records.infusion.dose')} error=${doseError}>
            ${(p) => html`<input ...${p} type="text" inputmode="decimal" autocomplete="off" value=${form.dose} onInput=${set('dose')} />`}
          <//>
          <${Field} label=${t('records.infusion.unit')}>
            ${(p) => html`
              <select ...${p} value=${form.unit} onChange=${set('unit')}>
                <option value="mg_per_kg">mg/kg</option>
                <option value="mg">mg</option>
              </select>
            `}
          <//>
        </div>
        <${Field} label=${t('records.infusion.lot_number')} error=${fields.lot_number}>
          ${(p) => html`<input ...${p} type="text" autocomplete="off" value=${form.lot_number} onInput=${set('lot_number')} />`}
        <//>
      </div>
      <fieldset class="pressures">
        <legend>${t('records.infusion.blood_pressure')}</legend>
        ${READINGS.map(
          (r) => html`
            <div class="pressure">
              <span class="pressure-label" aria-hidden="true">${t(`records.reading.${r}`)}</span>
              <${Field} className="compact" label=${t('records.infusion.systolic', { reading: t(`records.reading.${r}`) })} error=${fields[`bp_systolic_${r}`]}>
                ${(p) => html`<input ...${p} type="text" inputmode="numeric" autocomplete="off" value=${form[`bp_systolic_${r}`]} onInput=${set(`bp_systolic_${r}`)} />`}
              <//>
              <span class="over" aria-hidden="true">/</span>
              <${Field} className="compact" label=${t('records.infusion.diastolic', { reading: t(`records.reading.${r}`) })} error=${fields[`bp_diastolic_${r}`]}>
                ${(p) => html`<input ...${p} type="text" inputmode="numeric" autocomplete="off" value=${form[`bp_diastolic_${r}`]} onInput=${set(`bp_diastolic_${r}`)} />`}
              <//>
            </div>
          `,
        )}
      </fieldset>
      <div class="record-grid two">
        <${Field} label=${t('records.infusion.dissociation_notes')} hint=${t('records.infusion.dissociation_hint')} error=${fields.dissociation_notes}>
          ${(p) => html`<textarea ...${p} rows="2" value=${form.dissociation_notes} onInput=${set('dissociation_notes')}></textarea>`}
        <//>
        <${Field} label=${t('records.notes')} error=${fields.notes}>
          ${(p) => html`<textarea ...${p} rows="2" value=${form.notes} onInput=${set('notes')}></textarea>`}
        <//>
      </div>
      <${FormError} error=${error} />
      <div class="form-actions">
        <${Button} kind="primary" type="submit" busy=${busy}>${editing ? t('records.save_correction') : t('records.infusion.save')}<//>
        ${editing && html`<${Button} onClick=${onCancel}>${t('common.cancel')}<//>`}
      </div>
    </form>
  `;
}

function EventForm({ patientId, editing, onDone, onCancel }) {
  const initial = useMemo(
    () =>
      editing
        ? { kind: editing.kind, occurred_at: localInput(editing.occurred_at), notes: editing.notes || '' }
        : { kind: 'medication_change', occurred_at: localInput(), notes: '' },
    [editing],
  );
  const [form, setForm] = useState(initial);
  const [shownFor, setShownFor] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (shownFor !== initial) {
    setShownFor(initial);
    setForm(initial);
    setError(null);
  }
  const set = (key) => (event) => setForm((f) => ({ ...f, [key]: event.target.value }));
  const fields = error?.fields || {};
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = { kind: form.kind, occurred_at: fromLocalInput(form.occurred_at), notes: form.notes.trim() || null };
    try {
      const saved = editing
        ? await api.patch(`/api/patients/${patientId}/events/${editing.id}`, changedFields(editing, body))
        : await api.post(`/api/patients/${patientId}/events`, body);
      if (!editing) setForm({ ...initial, occurred_at: localInput(), notes: '' });
      onDone(saved, editing ? 'corrected' : 'recorded');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form record-form" onSubmit=${submit} noValidate aria-labelledby="event-form-title">
      <h2 id="event-form-title">
        ${editing ? t('records.event.correct_title', { when: formatDateTime(editing.occurred_at) }) : t('records.event.new_title')}
      </h2>
      <p class="hint">${t('records.event.why')}</p>
      <div class="record-grid single">
        <${Field} label=${t('records.event.kind')} error=${fields.kind}>
          ${(p) => html`
            <select ...${p} value=${form.kind} onChange=${set('kind')}>
              ${EVENT_KINDS.map((k) => html`<option value=${k}>${t(`records.event_kind.${k}`)}</option>`)}
            </select>
          `}
        <//>
        <${Field} label=${t('records.event.occurred_at')} error=${fields.occurred_at}>
          ${(p) => html`<input ...${p} type="datetime-local" required value=${form.occurred_at} onInput=${set('occurred_at')} />`}
        <//>
      </div>
      <${Field} label=${t('records.notes')} error=${fields.notes}>
        ${(p) => html`<textarea ...${p} rows="2" value=${form.notes} onInput=${set('notes')}></textarea>`}
      <//>
      <${FormError} error=${error} />
      <div class="form-actions">
        <${Button} kind="primary" type="submit" busy=${busy}>${editing ? t('records.save_correction') : t('records.event.save')}<//>
        ${editing && html`<${Button} onClick=${onCancel}>${t('common.cancel')}<//>`}
      </div>
    </form>
  `;
}

/** "Entered in error": asks why (optional) before striking the record. */
function StrikeButton({ url, onStruck, label }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!open) return html`<${Button} size="small" onClick=${() => setOpen(true)}>${t('records.entered_in_error')}<//>`;
  const strike = async () => {
    setBusy(true);
    setError(null);
    try {
      onStruck(await api.post(`${url}/entered-in-error`, { reason: reason.trim() || null }));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`
    <div class="strike">
      <${Field} className="compact" label=${t('records.strike.reason', { what: label })}>
        ${(p) => html`<input ...${p} type="text" autocomplete="off" placeholder=${t('records.strike.placeholder')} value=${reason} onInput=${(e) => setReason(e.target.value)} />`}
      <//>
      <div class="strike-actions">
        <${Button} kind="danger" size="small" busy=${busy} onClick=${strike}>${t('records.strike.confirm')}<//>
        <${Button} size="small" onClick=${() => setOpen(false)}>${t('common.cancel')}<//>
      </div>
      <${ErrorNote} error=${error} />
    </div>
  `;
}

function Struck({ record }) {
  const e = record.entered_in_error;
  return html`
    <div class="struck-note">
      <${Chip} tone="muted">${t('records.entered_in_error')}<//>
      <span>${t('records.struck_by', { who: e.by_name || '—', when: formatDateTime(e.at) })}</span>
      ${e.reason && html`<span>“${e.reason}”</span>`}
    </div>
  `;
}

function Who({ record }) {
  return html`
    <span class="who-line">
      ${t('records.recorded_by', { who: record.recorded_by_name || '—' })}
      ${record.updated_by_name && html`<br />${t('records.corrected_by', { who: record.updated_by_name, when: formatDateTime(record.updated_at) })}`}
    </span>
  `;
}

function InfusionList({ patientId, infusions, editingId, onEdit, onStruck }) {
  if (!infusions.length) return html`<p class="empty">${t('records.infusion.none')}</p>`;
  const newestFirst = [...infusions].reverse();
  return html`
    <div class="table-wrap" role="region" aria-label=${t('records.infusion.list')} tabindex="0">
      <table class="data-table record-table">
        <caption class="visually-hidden">${t('records.infusion.list')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('records.infusion.given_at')}</th>
            <th scope="col">${t('records.infusion.kind')}</th>
            <th scope="col">${t('records.infusion.drug_route')}</th>
            <th scope="col">${t('records.infusion.dose')}</th>
            <th scope="col">${t('records.infusion.bp_short')}</th>
            <th scope="col">${t('records.infusion.details')}</th>
            <th scope="col"><span class="visually-hidden">${t('records.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${newestFirst.map((i) => {
            const struck = Boolean(i.entered_in_error);
            return html`
              <tr key=${i.id} class=${`${struck ? 'struck ' : ''}${editingId === i.id ? 'editing' : ''}`}>
                <td><span class="strikeable">${formatDateTime(i.given_at)}</span></td>
                <td><span class="strikeable">${t(`records.kind.${i.kind}`)}</span></td>
                <td><span class="strikeable">${i.drug ? t(`records.drug.${i.drug}`) : t('records.drug.unknown')} · ${t(`records.route.${i.route}`)}</span></td>
                <td class="nowrap"><span class="strikeable">${doseText(i)}</span></td>
                <td class="nowrap"><span class="strikeable">${pressureText(i)}</span></td>
                <td class="details">
                  ${i.lot_number && html`<div class="strikeable">${t('records.infusion.lot_short', { lot: i.lot_number })}</div>`}
                  ${i.dissociation_notes && html`<div class="strikeable">${i.dissociation_notes}</div>`}
                  ${i.notes && html`<div class="strikeable">${i.notes}</div>`}
                  <${Who} record=${i} />
                  ${struck && html`<${Struck} record=${i} />`}
                </td>
                <td class="row-actions">
                  ${!struck &&
                  html`
                    <${Button} size="small" onClick=${() => onEdit(i)} aria-label=${t('records.correct_infusion_of', { when: formatDateTime(i.given_at) })}>${t('records.correct')}<//>
                    <${StrikeButton} url=${`/api/patients/${patientId}/infusions/${i.id}`} label=${t('records.infusion.one')} onStruck=${onStruck} />
                  `}
                </td>
              </tr>
            `;
          })}
        </tbody>
      </table>
    </div>
  `;
}

function EventList({ patientId, events, editingId, onEdit, onStruck }) {
  if (!events.length) return html`<p class="empty">${t('records.event.none')}</p>`;
  return html`
    <ul class="event-list">
      ${[...events].reverse().map((e) => {
        const struck = Boolean(e.entered_in_error);
        return html`
          <li key=${e.id} class=${`card event-item ${struck ? 'struck' : ''} ${editingId === e.id ? 'editing' : ''}`}>
            <div class="event-main">
              <strong class="strikeable">${t(`records.event_kind.${e.kind}`)}</strong>
              <span class="strikeable">${formatDateTime(e.occurred_at)}</span>
              ${e.notes && html`<span class="strikeable">${e.notes}</span>`}
              <${Who} record=${e} />
              ${struck && html`<${Struck} record=${e} />`}
            </div>
            ${!struck &&
            html`<div class="row-actions">
              <${Button} size="small" onClick=${() => onEdit(e)} aria-label=${t('records.correct_event_of', { when: formatDateTime(e.occurred_at) })}>${t('records.correct')}<//>
              <${StrikeButton} url=${`/api/patients/${patientId}/events/${e.id}`} label=${t('records.event.one')} onStruck=${onStruck} />
            </div>`}
          </li>
        `;
      })}
    </ul>
  `;
}

export default function RecordScreen({ params }) {
  useStylesheet(import.meta.url);
  const id = params.id;
  const patient = usePatient(id);
  const infusions = useApi(() => api.get(`/api/patients/${id}/infusions`, { query: { include_entered_in_error: true } }), [id]);
  const events = useApi(() => api.get(`/api/patients/${id}/events`, { query: { include_entered_in_error: true } }), [id]);
  const [editingInfusion, setEditingInfusion] = useState(null);
  const [editingEvent, setEditingEvent] = useState(null);
  const [notice, setNotice] = useState(null);
  const name = patient.data?.display_name;
  const title = name ? t('records.title_for', { name }) : t('records.title');
  const last = useMemo(() => [...(infusions.data || [])].reverse().find((i) => !i.entered_in_error) || null, [infusions.data]);

  const replace = (list, saved) => list.setData((rows) => {
    const others = (rows || []).filter((r) => r.id !== saved.id);
    const key = saved.given_at ? 'given_at' : 'occurred_at';
    return [...others, saved].sort((a, b) => new Date(a[key]) - new Date(b[key]) || a.id - b.id);
  });
  const done = (what, list, stopEditing) => (saved, how) => {
    replace(list, saved);
    stopEditing(null);
    const text = t(`records.done.${what}_${how}`);
    setNotice(text);
  };
  const struck = (what, list) => (saved) => {
    replace(list, saved);
    const text = t(`records.done.${what}_struck`);
    setNotice(text);
  };
  const edit = (setter) => (record) => {
    setter(record);
    setNotice(null);
    requestAnimationFrame(() => document.querySelector('.record-form h2')?.scrollIntoView({ block: 'start', behavior: 'smooth' }));
  };

  if (patient.error) return html`<${Page} title=${t('records.title')}><${ErrorNote} error=${patient.error} /><//>`;
  return html`
    <${Page} title=${title} className="record-page" actions=${html`<${BackToPatient} id=${id} name=${name} />`}>
      ${notice &&
      html`<${Notice} tone="good">
        ${notice} <a href=${`#/patients/${id}`}>${t('records.see_timeline')}</a>
      <//>`}
      <div class="record-columns">
        ${infusions.data
          ? html`<${InfusionForm}
              patientId=${id}
              editing=${editingInfusion}
              last=${last}
              onDone=${done('infusion', infusions, setEditingInfusion)}
              onCancel=${() => setEditingInfusion(null)}
            />`
          : html`<div class="card"><${Loading} /></div>`}
        <${EventForm}
          patientId=${id}
          editing=${editingEvent}
          onDone=${done('event', events, setEditingEvent)}
          onCancel=${() => setEditingEvent(null)}
        />
      </div>
      <section aria-labelledby="infusions-title" class="record-section">
        <h2 id="infusions-title">${t('records.infusion.list')}</h2>
        <p class="hint">${t('records.struck_explained')}</p>
        ${infusions.loading && !infusions.data && html`<${Loading} />`}
        <${ErrorNote} error=${infusions.error} />
        ${infusions.data &&
        html`<${InfusionList}
          patientId=${id}
          infusions=${infusions.data}
          editingId=${editingInfusion?.id}
          onEdit=${edit(setEditingInfusion)}
          onStruck=${struck('infusion', infusions)}
        />`}
      </section>
      <section aria-labelledby="events-title" class="record-section">
        <h2 id="events-title">${t('records.event.list')}</h2>
        <${ErrorNote} error=${events.error} />
        ${events.data &&
        html`<${EventList}
          patientId=${id}
          events=${events.data}
          editingId=${editingEvent?.id}
          onEdit=${edit(setEditingEvent)}
          onStruck=${struck('event', events)}
        />`}
      </section>
    <//>
  `;
}
