// The reporter's status page: public state, timeline, photos; cancel, reopen and rate.
import { api, explain, languageSwitcher, loadLanguage, registerServiceWorker, show, t } from './common.js';
import { citizenMove, timeline } from './workflow.js';
import { listPhotos, photoStrip } from './photos.js';

const $ = (id) => document.getElementById(id);
const publicId = decodeURIComponent(location.pathname.split('/').pop());
const token = new URLSearchParams(location.search).get('t') || '';
let complaint = null;

async function render() {
  try {
    complaint = await api(`/api/v1/complaints/${encodeURIComponent(publicId)}`);
  } catch (err) {
    show($('notice'), explain(err), 'error');
    return;
  }
  const summary = $('summary');
  const rows = [
    [t('status'), t(`s_${complaint.status}`)], [t('category'), complaint.category.name],
    [t('location'), complaint.address], [t('due'), new Date(complaint.due_at).toLocaleString(document.documentElement.lang)],
  ];
  // Questions go to the district office, or to the 120 line when its number is not on file.
  const call = document.createElement('a');
  const phone = complaint.district_office_phone || '120';
  call.href = `tel:${phone.replace(/[^\d+]/g, '')}`;
  call.textContent = `☎ ${phone}`;
  rows.push([t('contact'), call]);
  const dl = document.createElement('dl');
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.append(v);
    dl.append(dt, dd);
  }
  const h = document.createElement('h2'); h.textContent = complaint.public_id;
  summary.replaceChildren(h, dl);
  $('cancel').hidden = !['received', 'dispatched', 'transferred'].includes(complaint.status);
  $('reopen').hidden = !['resolved', 'unfounded'].includes(complaint.status);
  renderPhotos();
  renderTimeline();
}

async function renderPhotos() {
  try {
    const photos = await listPhotos(publicId, { headers: { 'X-Citizen-Token': token } });
    $('photos').replaceChildren(...(photos.length ? [photoStrip(photos)] : []));
  } catch (err) { /* no photos to show */ }
}

async function renderTimeline() {
  let events = [];
  try {
    const data = await timeline(publicId, token);
    events = data.events;
    renderRating(data);
  } catch (err) {
    // Without the reporter's token (a shared link) the current state is the timeline.
    events = [{ to_status: complaint.status, at: complaint.updated_at }];
  }
  $('timeline').replaceChildren(...events.map((e) => {
    const li = document.createElement('li');
    const when = new Date(e.at).toLocaleString(document.documentElement.lang);
    li.textContent = `${when} — ${t(`s_${e.to_status || e.status}`)}${e.public_note ? ` · ${e.public_note}` : ''}`;
    return li;
  }));
}

function renderRating(data) {
  $('rating').hidden = !data.ratable;
  $('rated').hidden = data.rating == null;
  if (data.rating != null) $('rated').textContent = `${t('rated_thanks')} ${data.rating} / 5`;
}

async function rate(event) {
  event.preventDefault();
  const picked = $('rating').querySelector('input[name=score]:checked');
  if (!picked) { show($('notice'), t('rate_pick'), 'error'); return; }
  try {
    await api(`/api/v1/complaints/${encodeURIComponent(publicId)}/rating`, {
      method: 'POST', body: { score: Number(picked.value) }, headers: { 'X-Citizen-Token': token },
    });
    $('notice').hidden = true;
  } catch (err) { show($('notice'), explain(err), 'error'); }
  await render();
}

async function act(name) {
  try {
    await citizenMove(publicId, name, token, complaint.version);
    await render();
  } catch (err) { show($('notice'), explain(err), 'error'); }
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  $('cancel').addEventListener('click', () => act('cancel'));
  $('reopen').addEventListener('click', () => act('reopen'));
  $('rating').addEventListener('submit', rate);
  document.addEventListener('dasan:language', render);
  await render();
  document.body.dataset.ready = 'true';
}

main();
