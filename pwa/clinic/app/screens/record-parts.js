// Pieces the record, enrollment and reminders screens share: local date-time inputs, the patient
// they are about, and the server's field messages.
import { html } from '../html.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { ErrorNote, useApi } from '../ui.js';

/** "2026-11-29T09:05" for <input type="datetime-local"> from an ISO time, in this browser's zone. */
export function localInput(value) {
  const d = value ? new Date(value) : new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The ISO time (UTC) of a datetime-local value, read in this browser's zone; null when empty. */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** The patient a screen is about (GET /api/patients/{id}, audited as a read of the profile). */
export function usePatient(id) {
  return useApi(() => api.get(`/api/patients/${id}`), [id]);
}

/** "← Patient name" back to the patient's timeline. */
export function BackToPatient({ id, name }) {
  return html`<a class="button button-link back-link" href=${`#/patients/${id}`}>← ${name || t('records.back_to_patient')}</a>`;
}

/** A number from an input, or null when empty (the server names anything else). */
export function numberOrNull(text) {
  const trimmed = String(text ?? '').trim().replace(',', '.');
  if (!trimmed) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** The fields of an object that differ from the original, for a PATCH that sends only changes. */
export function changedFields(original, current) {
  const out = {};
  for (const [key, value] of Object.entries(current)) {
    const before = original[key] ?? null;
    const now = value ?? null;
    if (key.endsWith('_at') && before && now) {
      if (new Date(before).getTime() !== new Date(now).getTime()) out[key] = now;
    } else if (before !== now) out[key] = now;
  }
  return out;
}

/**
 * A form's error: when the server named fields (each message is shown at its field), a short
 * pointer to them instead of the same messages again; otherwise the server's message.
 */
export function FormError({ error }) {
  if (error && error.fields && Object.keys(error.fields).length) {
    return html`<div class="error-note" role="alert"><p>${t('records.check_fields', { count: Object.keys(error.fields).length })}</p></div>`;
  }
  return html`<${ErrorNote} error=${error} />`;
}
