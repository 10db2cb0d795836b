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
// The inspector app's cached data (queue, complaints with the reporter's phone, photo lists)
// belongs to whoever was logged in: dropped at logout, and when someone else logs in.
const STAFF_CACHE = ['queue:', 'complaint:', 'photos:'];

export async function forgetStaffData() {
  const db = await dbPromise;
  const tx = db.transaction('cache', 'readwrite');
  for (const key of await tx.store.getAllKeys()) {
    if (STAFF_CACHE.some((prefix) => String(key).startsWith(prefix))) await tx.store.delete(key);
  }
  await tx.store.delete('owner');
  await tx.done;
}

// Start the cache over when it was filled for another member of staff (a lost session, then
// someone else's login on the same phone).
export async function claimStaffData(staffId) {
  if ((await cacheGet('owner')) === staffId) return;
  await forgetStaffData();
  await cachePut('owner', staffId);
}

export async function saveTicket(ticket) { return (await dbPromise).put('tickets', ticket); }
export async function tickets() { return (await dbPromise).getAll('tickets'); }
export async function ticket(publicId) { return (await dbPromise).get('tickets', publicId); }

// After a move's answer, the complaint's later waiting moves (made on a screen that showed
// that move as done) are based on the version it produced: kept in the outbox, so a flush
// that stops between them and a reload still sends the right version.
export async function rebase(publicId, afterSeq, version) {
  const db = await dbPromise;
  const tx = db.transaction('outbox', 'readwrite');
  for (const e of await tx.store.getAll()) {
    if (e.kind === 'action' && e.public_id === publicId && e.seq > afterSeq && !e.error
        && !(e.version >= version)) await tx.store.put({ ...e, version });
  }
  await tx.done;
}

async function entryAgain(seq) { return (await dbPromise).get('outbox', seq); }

// One flush at a time per browser (page, online event and background sync may all ask).
export async function exclusively(name, work) {
  if (navigator.locks) return navigator.locks.request(name, work);
  return work();
}

// Send queued entries in order. `send(entry)` throws ApiError; a network error, a busy (429)
// or failing (5xx) server stops the run (try again later); any other error is stored on the
// entry and reported, never dropped.
// `only(entry)`, when given, picks the entries this caller may send (the others stay).
export async function flush(kind, send, onResult, only = () => true) {
  return exclusively(`dasan-outbox-${kind}`, async () => {
    for (const listed of await pending(kind)) {
      // Read again: an earlier send may have changed (rebased) or removed it meanwhile.
      const entry = await entryAgain(listed.seq);
      if (!entry || entry.error || !only(entry)) continue;
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
