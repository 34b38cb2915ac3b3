// The clinician workspace's service worker (scope /clinic/): it shows staff notifications
// (safety alert escalations, test notifications) and opens the alert in the workspace when one
// is clicked. No offline copy of the workspace: it needs the clinic server to be of any use.
const RELEASE = __AFTERGLOW_RELEASE__;
const FALLBACK_URL = '/clinic/#/alerts';

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  // Take the open workspace pages at once, so that a click can move them to the alert.
  event.waitUntil(self.clients.claim());
});

/** Only a path of the workspace: anything else ('//host', the patient app) opens the alerts. */
function workspaceUrl(url) {
  return typeof url === 'string' && /^\/clinic\/(?![/\\])/.test(url) ? url : FALLBACK_URL;
}

async function showStaffNotification(event) {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = {};
  }
  const escalation = payload.kind === 'alert_escalation';
  await self.registration.showNotification(payload.title || 'Afterglow', {
    body: payload.body || '',
    tag: payload.tag || payload.kind || 'afterglow-clinic',
    lang: payload.lang || 'en',
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    // An escalation stays on screen until someone acts on it.
    requireInteraction: escalation,
    renotify: escalation,
    data: { url: workspaceUrl(payload.url), kind: payload.kind || null, build: RELEASE.build },
  });
}

self.addEventListener('push', (event) => {
  // Always show a notification: a push that shows none can cost the subscription.
  event.waitUntil(
    showStaffNotification(event).catch(() =>
      self.registration.showNotification('Afterglow', { data: { url: FALLBACK_URL }, icon: '/icons/icon-192.png' }),
    ),
  );
});

async function openWorkspace(url) {
  const target = new URL(url, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).pathname.startsWith('/clinic/'));
  let moved = null;
  if (open) {
    try {
      moved = (await open.navigate(target)) || open;
    } catch {
      moved = null; // a page this worker does not control yet: open a window instead
    }
  }
  if (!moved) {
    await self.clients.openWindow(target);
    return;
  }
  try {
    await moved.focus();
  } catch {
    // Focusing needs the click's user activation; the page has moved to the alert either way.
  }
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openWorkspace(workspaceUrl((event.notification.data || {}).url)));
});
