/*
 * Afterglow's service worker: the app shell offline, reminders as notifications, and the
 * check-in outbox sent from the background.
 *
 * The server replaces the placeholder below with this release: its build id and the files to
 * precache. A new release therefore changes this file, which is how phones learn of it.
 */
const RELEASE = __AFTERGLOW_RELEASE__;
const CACHE = `afterglow-${RELEASE.build}`;
const SYNC_TAG = 'afterglow-outbox';
const MOOD_KINDS = new Set(['daily_mood', 'post_infusion_mood']);

importScripts('/vendor/idb-keyval-6.3.0/umd.js', `/app/${RELEASE.build}/outbox-core.js`);
const Outbox = self.AfterglowOutbox;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // The HTML and manifest must be this release's, not an HTTP-cached older copy; the other
      // URLs are versioned, so whatever the HTTP cache holds for them is right.
      const fresh = (url) => (url === '/' || url === '/manifest.webmanifest' ? 'reload' : 'default');
      await cache.addAll(RELEASE.precache.map((url) => new Request(url, { cache: fresh(url) })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith('afterglow-') && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
      await flushAndTell();
    })(),
  );
});

function isShellNavigation(request, url) {
  return request.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html');
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (isShellNavigation(request, url)) {
    // Offline-first: the shell of this release, whatever the network does.
    event.respondWith(caches.match('/', { cacheName: CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  if (/^\/(app|vendor|icons)\//.test(url.pathname) || url.pathname === '/manifest.webmanifest') {
    event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
  }
  // Everything else (the API above all) goes to the network: nothing private is cached here.
});

async function tellClients(message) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}

async function flushAndTell() {
  const summary = await Outbox.flush();
  if (summary.sent || summary.failed) await tellClients({ type: 'outbox-changed' });
  return summary;
}

// Waiting check-ins go out whenever this worker starts, not only on sync, message or push.
flushAndTell().catch(() => null);

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    flushAndTell().then((summary) => {
      // Rejecting asks the browser to fire the sync again later.
      if (summary.waiting && !summary.signin) throw new Error('check-ins still waiting');
    }),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'flush') event.waitUntil(flushAndTell());
});

const catalogues = {};
async function strings(lang) {
  const code = lang === 'es' ? 'es' : 'en';
  if (!catalogues[code]) {
    const url = `/app/${RELEASE.build}/i18n/${code}.json`;
    const response = (await caches.match(url, { cacheName: CACHE })) || (await fetch(url));
    catalogues[code] = await response.json();
  }
  return catalogues[code];
}

/** Quick actions on a mood reminder: log the same mood as last time without opening the app. */
async function moodActions(payload, catalogue) {
  if (!MOOD_KINDS.has(payload.kind) || !('actions' in Notification.prototype)) return [];
  if ((Notification.maxActions || 0) < 1) return [];
  const [me, lastMood] = await Promise.all([Outbox.getState('me'), Outbox.getState('lastMood')]);
  if (!me || !me.patient_id || typeof lastMood !== 'number') return [];
  const actions = [
    { action: `mood:${lastMood}`, title: catalogue['sw.same_mood'].replace('{value}', lastMood) },
    { action: 'open', title: catalogue['sw.choose_mood'] },
  ];
  return actions.slice(0, Notification.maxActions);
}

async function showReminder(event) {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data ? event.data.text() : '' };
  }
  const catalogue = await strings(payload.lang);
  // Only a path of this app: '//host' would leave it.
  const url = typeof payload.url === 'string' && /^\/(?![/\\])/.test(payload.url) ? payload.url : '/#/today';
  await self.registration.showNotification(payload.title || catalogue['sw.default_title'], {
    body: payload.body || catalogue['sw.default_body'],
    tag: payload.tag || payload.kind || 'afterglow',
    lang: payload.lang || 'en',
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    data: { url, kind: payload.kind || null },
    actions: await moodActions(payload, catalogue),
  });
  await tellClients({ type: 'push', payload: { kind: payload.kind || null, url } });
}

self.addEventListener('push', (event) => {
  // Always show a notification: a push that shows none can cost the subscription (iOS).
  event.waitUntil(
    showReminder(event).catch(() =>
      self.registration.showNotification('Afterglow', { data: { url: '/#/today' }, icon: '/icons/icon-192.png' }),
    ),
  );
});

async function logMoodFromNotification(value) {
  const me = await Outbox.getState('me');
  if (!me || !me.patient_id) return;
  await Outbox.add(me.patient_id, { instrument: 'mood', answers: [value] });
  await Outbox.setState('lastMood', value);
  await tellClients({ type: 'outbox-changed' });
  const summary = await flushAndTell();
  if (summary.waiting && self.registration.sync) {
    await self.registration.sync.register(SYNC_TAG).catch(() => null);
  }
}

async function openApp(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const existing = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (existing) {
    // The running app moves itself to the screen (no reload, nothing typed is lost).
    existing.postMessage({ type: 'navigate', url });
    try {
      await existing.focus();
    } catch {
      // Focusing needs the click's user activation; the screen has moved either way.
    }
    return;
  }
  await self.clients.openWindow(url);
}

async function handleClick(notification, action) {
  const data = notification.data || {};
  const mood = /^mood:(\d{1,2})$/.exec(action || '');
  if (mood) return logMoodFromNotification(Number(mood[1]));
  return openApp(data.url || '/#/today');
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(handleClick(event.notification, event.action));
});
