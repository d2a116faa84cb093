// Alerts to the admins (in-app, and e-mail when a channel is chosen). Other parts call alertAdmins.
export { alertAdmins, type AlertResult } from './send';
export { ALERT_KINDS, type AlertKind, type AlertParams } from './kinds';
export { alertOffsiteFailure } from './offsite-alert';
export { getStaleWatch } from './stale-watch';
