// Same-origin JSON calls to the Afterglow API for the workspace. Every unsafe request carries the
// session's CSRF token (the server names it in the `x-csrftoken` header of every answer); a 401
// sends the browser to the sign-in screen at `/`, and any other refusal is an ApiError whose
// message is the server's, for the screen to show as it is.

/** Where the sign-in screen sends staff back to after signing in (this workspace's hash). */
export const NEXT_KEY = 'afterglow-clinic-next';

export class ApiError extends Error {
  constructor(status, detail, fields = {}, extra = null) {
    super(detail || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail || `HTTP ${status}`;
    // { field name: message } from a 400's `extra` ([{key, message}]), to show beside the field.
    this.fields = fields;
    this.extra = extra;
  }
}

/** Thrown when the request never reached the server (offline, server down). */
export class NetworkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NetworkError';
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let token = null;

function cookieToken() {
  const found = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='));
  return found ? decodeURIComponent(found.slice('csrftoken='.length)) : null;
}

async function freshToken() {
  try {
    const response = await fetch('/api/health', { credentials: 'same-origin', cache: 'no-store' });
    token = response.headers.get('x-csrftoken') || cookieToken();
  } catch {
    token = cookieToken();
  }
  return token;
}

/** Leave for the sign-in screen, remembering where in the workspace to come back to. */
export function toSignIn() {
  if (location.hash && location.hash !== '#/') sessionStorage.setItem(NEXT_KEY, location.hash);
  location.replace('/#/signin');
}

function urlOf(path, query) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(key, v));
    else url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

async function send(method, url, body, headers) {
  const sent = { accept: 'application/json', ...headers };
  if (body !== undefined) sent['content-type'] = 'application/json';
  if (UNSAFE.has(method)) sent['x-csrftoken'] = token || cookieToken() || (await freshToken()) || '';
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: sent,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  const named = response.headers.get('x-csrftoken');
  if (named) token = named;
  return response;
}

function fieldsOf(extra) {
  const fields = {};
  if (Array.isArray(extra)) {
    for (const item of extra) {
      if (item && typeof item.key === 'string') fields[item.key] = item.message || '';
    }
  }
  return fields;
}

/**
 * One request. `query` becomes the query string (empty values left out); `idempotencyKey` goes
 * in `Idempotency-Key`; `signInOn401: false` lets a caller handle 401 itself.
 */
export async function request(method, path, { body, query, idempotencyKey, signInOn401 = true } = {}) {
  const url = urlOf(path, query);
  const headers = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
  let response = await send(method, url, body, headers);
  if (response.status === 403 && UNSAFE.has(method)) {
    // The token changes with the session: fetch the current one and try once more.
    await freshToken();
    response = await send(method, url, body, headers);
  }
  if (response.status === 401 && signInOn401) {
    toSignIn();
    throw new ApiError(401, 'Sign in again.');
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === 'string' ? data.detail : null;
    throw new ApiError(response.status, detail, fieldsOf(data && data.extra), data && data.extra);
  }
  return data;
}

export const api = {
  get: (path, { query, signInOn401 } = {}) => request('GET', path, { query, signInOn401 }),
  post: (path, body, options = {}) => request('POST', path, { ...options, body }),
  put: (path, body, options = {}) => request('PUT', path, { ...options, body }),
  patch: (path, body, options = {}) => request('PATCH', path, { ...options, body }),
  del: (path, options = {}) => request('DELETE', path, options),
};
