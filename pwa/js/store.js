// IndexedDB (through idb): the outbox of reports and actions, and cached data for offline use.
import { openDB } from '/static/vendor/idb/index.js';
import { ApiError } from './common.js';

const dbPromise = openDB('dasan', 1, {
  upgrade(db) {
    db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
    db.createObjectStore('cache');
    db.createObjectStore('tickets', { keyPath: 'public_id' });
  },
});

export async function enqueue(entry) {
  const db = await dbPromise;
  return db.add('outbox', { ...entry, created: Date.now(), error: null });
}

export async function pending(kind) {
  const db = await dbPromise;
  return (await db.getAll('outbox')).filter((e) => !kind || e.kind === kind);
}

export async function remove(seq) { return (await dbPromise).delete('outbox', seq); }
export async function update(entry) { return (await dbPromise).put('outbox', entry); }
export async function cacheGet(key) { return (await dbPromise).get('cache', key); }
export async function cachePut(key, value) { return (await dbPromise).put('cache', value, key); }
export async function saveTicket(ticket) { return (await dbPromise).put('tickets', ticket); }
export async function tickets() { return (await dbPromise).getAll('tickets'); }

// One flush at a time per browser (page, online event and background sync may all ask).
export async function exclusively(name, work) {
  if (navigator.locks) return navigator.locks.request(name, work);
  return work();
}

// Send queued entries in order. `send(entry)` throws ApiError; a network error, a busy (429)
// or failing (5xx) server stops the run (try again later); any other error is stored on the
// entry and reported, never dropped.
export async function flush(kind, send, onResult) {
  return exclusively(`dasan-outbox-${kind}`, async () => {
    for (const entry of await pending(kind)) {
      if (entry.error) continue;
      try {
        const result = await send(entry);
        await remove(entry.seq);
        onResult && onResult(entry, result, null);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status === 0 || err.status === 429 || err.status >= 500) return false;
        if (err.status === 401) { onResult && onResult(entry, null, err); return false; }
        entry.error = { code: err.code, status: err.status, message: err.message };
        await update(entry);
        onResult && onResult(entry, null, err);
      }
    }
    return true;
  });
}

export async function askForSync(tag) {
  const registration = await navigator.serviceWorker?.ready;
  if (registration && registration.sync) {
    try { await registration.sync.register(tag); } catch (err) { /* not granted: online event */ }
  }
}
