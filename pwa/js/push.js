// Web push from the inspector app; keys, subscriptions and sending are the notification
// service's (issue 4, api/notifications.py).
import { api } from './common.js';

export const PUSH_KEY_PATH = '/api/v1/push-subscriptions/vapid-public-key';
export const PUSH_SUBSCRIPTIONS_PATH = '/api/v1/push-subscriptions';

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

// The server's public key, or null when this deployment has no web push.
export async function pushKey(token) {
  if (!('PushManager' in window)) return null;
  try {
    const answer = await api(PUSH_KEY_PATH, { token });
    return answer.public_key || answer.key || null;
  } catch (err) { return null; }
}

export async function subscribe(token, key) {
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: keyBytes(key),
  });
  await api(PUSH_SUBSCRIPTIONS_PATH, { method: 'POST', token, body: subscription.toJSON() });
  return subscription;
}
