// Same-origin JSON calls to the Afterglow API, with the CSRF header on every unsafe request.
const Outbox = self.AfterglowOutbox;

export class ApiError extends Error {
  constructor(status, detail, extra) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
    this.extra = extra;
  }
}

/** Thrown when the request never reached the server (offline, server down). */
export class NetworkError extends Error {}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function send(path, method, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method)) headers['x-csrftoken'] = token || '';
  // Where the phone is now: abroad, the crisis screen the profile brings names that country's
  // emergency number first.
  const zone = Outbox.phoneZone();
  if (zone) headers['x-time-zone'] = zone;
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  let token = UNSAFE.has(method) ? await Outbox.csrfToken(false) : null;
  if (UNSAFE.has(method) && !token) token = await Outbox.csrfToken(true);
  let response = await send(path, method, body, token);
  if (response.status === 403 && UNSAFE.has(method)) {
    // The CSRF cookie lasts one browser session: fetch a new one and try once more.
    response = await send(path, method, body, await Outbox.csrfToken(true));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && data.detail, data && data.extra);
  }
  return data;
}

/** The field a 400 names ("Invalid daily_mood_at: ..."), for showing the message beside it. */
export function fieldOf(error) {
  if (error instanceof ApiError && Array.isArray(error.extra) && error.extra[0]) {
    return error.extra[0].key || null;
  }
  return null;
}
