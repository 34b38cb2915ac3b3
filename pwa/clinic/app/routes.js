// The workspace's screens by hash route. Each helper adds its own lines (do not reorder or
// rewrite another's): `pattern` ('#/patients/:id' binds params.id), `load` (the screen module,
// imported when first opened; its default export is `Screen({ params, query })`), `area` (the
// strings it needs: i18n/<lang>/<area>.json), `nav` (the header item it belongs to) and
// `admin: true` for screens only admins may open.
export const ROUTES = [
  { pattern: '#/inbox', load: () => import('./screens/inbox.js'), nav: 'inbox', area: 'inbox' },
  { pattern: '#/patients/:id', load: () => import('./screens/patient.js'), nav: 'inbox', area: 'timeline' },
  { pattern: '#/patients/:id/print', load: () => import('./screens/print.js'), nav: 'inbox', area: 'timeline' },
  { pattern: '#/clinic', load: () => import('./screens/clinic.js'), nav: 'clinic', area: 'timeline' },
  { pattern: '#/patients/:id/record', load: () => import('./screens/record.js'), nav: 'inbox', area: 'records' },
  { pattern: '#/enroll', load: () => import('./screens/enroll.js'), nav: 'enroll', area: 'records' },
  { pattern: '#/patients/:id/enrollment', load: () => import('./screens/enrollment.js'), nav: 'inbox', area: 'records' },
  { pattern: '#/patients/:id/reminders', load: () => import('./screens/reminders.js'), nav: 'inbox', area: 'records' },
  { pattern: '#/alerts', load: () => import('./screens/alerts.js'), nav: 'alerts', area: 'alerts' },
  { pattern: '#/alerts/:id', load: () => import('./screens/alert.js'), nav: 'alerts', area: 'alerts' },
  { pattern: '#/notifications', load: () => import('./screens/notifications.js'), nav: 'alerts', area: 'alerts' },
  { pattern: '#/admin/staff', load: () => import('./screens/admin-staff.js'), nav: 'admin', area: 'admin', admin: true },
  { pattern: '#/admin/settings', load: () => import('./screens/admin-settings.js'), nav: 'admin', area: 'admin', admin: true },
  { pattern: '#/admin/audit', load: () => import('./screens/admin-audit.js'), nav: 'admin', area: 'admin', admin: true },
];

/** Where `#/` and an empty hash go. */
export const HOME = '#/inbox';
