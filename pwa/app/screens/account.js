// Enrollment (set a password from the clinic's one-time link), signing in, and the account
// screen (who is signed in, signing out), which the header's Account link opens from anywhere.
import { html, useEffect, useState } from '../html.js';
import { LANGUAGE_NAMES, LANGUAGES, supported, t } from '../i18n.js';
import { ApiError, NetworkError, api } from '../api.js';
import { go } from '../router.js';
import { changeLanguage, enroll, signIn, signOut } from '../session.js';
import { useAppState } from '../store.js';
import { ErrorNote, Loading, Screen } from '../ui.js';

const MIN_PASSWORD = 10;

function message(error) {
  if (error instanceof NetworkError) return t('common.offline_action');
  if (error instanceof ApiError && error.status === 429) return t('signin.throttled');
  if (error instanceof ApiError && error.detail) return error.detail;
  return t('common.unexpected');
}

function PasswordField({ value, onInput, autocomplete, describedBy }) {
  const [shown, setShown] = useState(false);
  return html`
    <label class="field">
      <span>${t('account.password')}</span>
      <input
        type=${shown ? 'text' : 'password'}
        name="password"
        autocomplete=${autocomplete}
        required
        minlength=${autocomplete === 'new-password' ? MIN_PASSWORD : undefined}
        aria-describedby=${describedBy}
        value=${value}
        onInput=${(e) => onInput(e.target.value)}
      />
    </label>
    <label class="check">
      <input type="checkbox" checked=${shown} onChange=${(e) => setShown(e.target.checked)} />
      <span>${t('account.show_password')}</span>
    </label>
  `;
}

export function Enroll({ token }) {
  const [invite, setInvite] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api(`/api/enrollment/${encodeURIComponent(token)}`).then(setInvite, (e) => setLoadError(message(e)));
  }, [token]);

  if (loadError) {
    return html`
      <${Screen} title=${t('enroll.title')}>
        <${ErrorNote} error=${loadError} />
        <p><a href="#/signin">${t('enroll.signin_instead')}</a></p>
      <//>
    `;
  }
  if (!invite) return html`<${Screen} title=${t('enroll.title')}><${Loading} /><//>`;

  const submit = async (event) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD) {
      setError(t('enroll.password_short', { n: MIN_PASSWORD }));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { password };
      if (invite.needs_email) body.email = email.trim();
      await enroll(token, body);
      go('/today', { replace: true });
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };

  const reset = invite.purpose === 'password_reset';
  return html`
    <${Screen} title=${t(reset ? 'reset.title' : 'enroll.title')}>
      <p class="lead">
        ${t(reset ? 'reset.lead' : 'enroll.welcome', {
          name: invite.display_name || '',
          clinic: invite.clinic,
        })}
      </p>
      <form onSubmit=${submit} class="form">
        ${invite.needs_email
          ? html`<label class="field">
              <span>${t('account.email')}</span>
              <input type="email" name="email" autocomplete="email" required value=${email}
                onInput=${(e) => setEmail(e.target.value)} />
            </label>`
          : html`<p>${t('enroll.email_is', { email: invite.email })}</p>`}
        <${PasswordField}
          value=${password}
          onInput=${setPassword}
          autocomplete="new-password"
          describedBy="password-rule"
        />
        <p id="password-rule" class="hint">${t('enroll.password_rule', { n: MIN_PASSWORD })}</p>
        <${ErrorNote} error=${error} />
        <button type="submit" class="button primary" disabled=${busy}>
          ${t(reset ? 'reset.submit' : 'enroll.submit')}
        </button>
      </form>
    <//>
  `;
}

/** The clinics a 409 lists when one email and password open accounts at more than one. */
function clinicsToChoose(error) {
  if (!(error instanceof ApiError && error.status === 409 && Array.isArray(error.extra))) return null;
  const clinics = error.extra.filter((c) => Number.isInteger(c.clinic_id));
  return clinics.length > 1 ? clinics : null;
}

export function SignIn({ then }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [clinics, setClinics] = useState(null);
  const [clinicId, setClinicId] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password, clinics ? clinicId : null);
      go(then && then !== '/signin' ? then : '/today', { replace: true });
    } catch (e) {
      const choices = clinicsToChoose(e);
      if (choices) {
        setClinics(choices);
        setClinicId(choices[0].clinic_id);
      } else {
        setError(message(e));
      }
    } finally {
      setBusy(false);
    }
  };
  const forget = () => {
    setClinics(null);
    setClinicId(null);
  };
  return html`
    <${Screen} title=${t('signin.title')}>
      <form onSubmit=${submit} class="form">
        <label class="field">
          <span>${t('account.email')}</span>
          <input type="email" name="email" autocomplete="username" required value=${email}
            onInput=${(e) => { setEmail(e.target.value); forget(); }} />
        </label>
        <${PasswordField}
          value=${password}
          onInput=${(value) => { setPassword(value); forget(); }}
          autocomplete="current-password"
        />
        ${clinics &&
        html`<fieldset class="field">
          <legend>${t('signin.which_clinic')}</legend>
          ${clinics.map(
            (c) => html`<label class="check">
              <input type="radio" name="clinic" value=${c.clinic_id}
                checked=${clinicId === c.clinic_id} onChange=${() => setClinicId(c.clinic_id)} />
              <span>${c.clinic}</span>
            </label>`,
          )}
        </fieldset>`}
        <${ErrorNote} error=${error} />
        <button type="submit" class="button primary" disabled=${busy}>${t('signin.submit')}</button>
      </form>
      <p class="hint">${t('signin.new_here')}</p>
    <//>
  `;
}

/** A clinician or admin signed in here: on to the clinician workspace at /clinic/. */
export function ToWorkspace({ confirmed }) {
  useEffect(() => {
    if (confirmed) location.replace('/clinic/');
  }, [confirmed]);
  return html`
    <${Screen} title=${t('staff.title')}>
      <p>${t('staff.body')}</p>
      <a class="button primary" href="/clinic/">${t('staff.open')}</a>
    <//>
  `;
}

/**
 * Who is signed in, and signing out: check-ins still waiting on this phone are named first, so
 * signing out never deletes them unseen.
 */
export function Account() {
  const { me, outbox, journalOutbox } = useAppState();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState(null);
  const unsent = outbox.filter((e) => e.status === 'waiting').length;
  // Journal entries not sent (or refused) are nowhere else: signing out deletes them.
  const unsentJournal = (journalOutbox || []).filter(
    (w) => w.status !== 'sent' && w.patient_id === me.patient_id,
  ).length;
  const leave = async () => {
    if ((unsent || unsentJournal) && !confirming) {
      setConfirming(true);
      return;
    }
    try {
      await signOut();
      go('/signin', { replace: true });
    } catch (e) {
      setError(message(e));
    }
  };
  return html`
    <${Screen} title=${t('account.title')}>
      <section class="card" aria-labelledby="signed-in-title">
        <h2 id="signed-in-title">${t('account.signed_in_title')}</h2>
        <p class="account-email">${t('account.signed_in_as', { email: me.email })}</p>
        ${me.clinic?.name && html`<p class="muted">${t('account.clinic', { clinic: me.clinic.name })}</p>`}
        ${confirming && unsent > 0 && html`<p class="error" role="alert">${t('account.unsent_warning', { count: unsent })}</p>`}
        ${confirming && unsentJournal > 0 &&
        html`<p class="error" role="alert">${t('journal.unsent_warning', { count: unsentJournal })}</p>`}
        <${ErrorNote} error=${error} />
        <button type="button" class="button" onClick=${leave}>
          ${confirming && unsent ? t('account.sign_out_discard', { count: unsent }) : t('account.sign_out')}
        </button>
      </section>
      <${LanguageChoice} />
    <//>
  `;
}

/**
 * The patient's language, chosen here and kept by the server: the app on every device, the
 * questionnaires, reminder pushes and the crisis screen all follow it. Each language is named
 * in itself, so a patient finds theirs whatever the app speaks now.
 */
export function LanguageChoice() {
  const { me } = useAppState();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  // The language being saved shows as chosen at once; a refusal puts the stored one back.
  const [pending, setPending] = useState(null);
  const current = pending || supported(me.locale) || 'en';
  const choose = async (code) => {
    if (code === current || busy) return;
    setPending(code);
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await changeLanguage(code);
      setSaved(true);
    } catch (e) {
      setError(message(e));
    } finally {
      setPending(null);
      setBusy(false);
    }
  };
  return html`
    <section class="card" aria-labelledby="language-title">
      <h2 id="language-title">${t('account.language_title')}</h2>
      <fieldset class="language-choice" aria-labelledby="language-title" aria-describedby="language-hint"
        aria-busy=${busy ? 'true' : 'false'}>
        ${LANGUAGES.map(
          (code) => html`
            <label class="radio">
              <input type="radio" name="language" value=${code} checked=${code === current}
                disabled=${busy} onChange=${() => choose(code)} />
              <span lang=${code}>${LANGUAGE_NAMES[code]}</span>
            </label>
          `,
        )}
      </fieldset>
      <p id="language-hint" class="hint">${t('account.language_hint')}</p>
      ${saved && html`<p class="saved" role="status">${t('account.language_saved')}</p>`}
      <${ErrorNote} error=${error} />
    </section>
  `;
}
