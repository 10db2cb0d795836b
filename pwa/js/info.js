// The citizen's location view: traffic around a point and the nearest public facilities.
/* global L */
import {
  api, baseMap, config, districtLayer, explain, lang, languageSwitcher, loadLanguage,
  registerServiceWorker, show, t,
} from './common.js';
import { trafficLayer } from './traffic.js';
import { locate } from './workflow.js';

const $ = (id) => document.getElementById(id);
const RADIUS_M = 1000;
let map;
let pin;
let traffic;
let facilityMarkers;
let point = { lon: 126.9779, lat: 37.5663 }; // Seoul City Hall until the user picks a place

function directions(lon, lat, name) {
  // The phone's maps app: geo: URIs open it on Android; others get a web map link.
  const android = /Android/i.test(navigator.userAgent);
  return android ? `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(name)})`
    : `https://www.openstreetmap.org/directions?to=${lat}%2C${lon}`;
}

async function loadArea() {
  try {
    const place = await locate([point.lon, point.lat]);
    $('place').textContent = `${place.district.name} ${place.dong.name}`;
  } catch (err) { $('place').textContent = explain(err); }
}

const FRESH_MS = 5 * 60 * 1000; // a summary older than this (a cached one) says when it was

function clock(iso) {
  return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Seoul' })
    .format(new Date(iso));
}

// The server's sentence already says when the feed is stale: it is shown as it is.
function trafficText(summary) {
  const updated = summary.feed_updated_at && Date.parse(summary.feed_updated_at);
  const old = updated && Date.now() - updated > FRESH_MS;
  return old ? `${summary.text} (${t('info_as_of').replace('{time}', clock(summary.feed_updated_at))})` : summary.text;
}

function incidentLine(feature) {
  const p = feature.properties;
  const detour = p.detour ? ` · ${t('info_detour')}` : '';
  const until = p.ends_at ? ` · ${t('info_until').replace('{time}', clock(p.ends_at))}` : '';
  const li = document.createElement('li');
  li.textContent = `${t(`incident_${p.kind}`)}: ${p.description || ''}${detour}${until}`;
  return li;
}

async function loadTraffic() {
  try {
    const summary = await api(`/api/v1/traffic/summary?lon=${point.lon}&lat=${point.lat}&radius=${RADIUS_M}`);
    $('traffic-text').textContent = trafficText(summary);
    // A cached answer may list incidents that have ended since.
    const current = summary.incidents.filter((f) => !f.properties.ends_at
      || Date.parse(f.properties.ends_at) > Date.now());
    $('incidents').replaceChildren(...current.map(incidentLine));
  } catch (err) {
    $('traffic-text').textContent = explain(err);
  }
}

async function loadFacilities() {
  const kind = $('kind').value;
  const query = `lon=${point.lon}&lat=${point.lat}&limit=5${kind ? `&kind=${kind}` : ''}`;
  let data;
  try { data = await api(`/api/v1/facilities/nearest?${query}`); } catch (err) {
    show($('notice'), explain(err), 'error');
    return;
  }
  $('notice').hidden = true;
  facilityMarkers.clearLayers();
  $('facilities').replaceChildren(...data.facilities.map((f) => {
    const [lon, lat] = f.location.coordinates;
    L.circleMarker([lat, lon], { radius: 8, color: '#00695c', fillOpacity: 0.8 })
      .bindTooltip(f.name).addTo(facilityMarkers);
    const li = document.createElement('li');
    const name = document.createElement('strong');
    name.textContent = f.name;
    const detail = document.createElement('div');
    detail.textContent = `${t(`kind_${f.kind}`)} · ${f.distance_m} m${f.address ? ` · ${f.address}` : ''}`;
    const link = document.createElement('a');
    link.href = directions(lon, lat, f.name);
    link.className = 'button secondary';
    link.textContent = t('navigate');
    // Five links with the same text: the name tells a screen reader user which one this is,
    // and it begins with the visible text so a voice-control user can say it (WCAG 2.5.3).
    link.setAttribute('aria-label', t('navigate_to').replace('{name}', f.name));
    li.append(name, detail, link);
    return li;
  }));
  $('facilities').dataset.count = String(data.facilities.length);
  $('facilities-none').hidden = data.facilities.length > 0;
}

async function moveTo(lon, lat) {
  point = { lon: Number(lon.toFixed(6)), lat: Number(lat.toFixed(6)) };
  pin.setLatLng([point.lat, point.lon]);
  await Promise.all([loadArea(), loadTraffic(), loadFacilities()]);
  document.body.dataset.point = `${point.lon},${point.lat}`;
}

function useGps() {
  if (!navigator.geolocation) { show($('notice'), t('gps_unavailable'), 'error'); return; }
  navigator.geolocation.getCurrentPosition(
    (pos) => { map.setView([pos.coords.latitude, pos.coords.longitude], 15); moveTo(pos.coords.longitude, pos.coords.latitude); },
    () => show($('notice'), t('gps_unavailable'), 'error'),
    { enableHighAccuracy: true, timeout: 10000 },
  );
}

async function main() {
  await loadLanguage();
  languageSwitcher($('lang'));
  registerServiceWorker();
  map = baseMap($('map'), await config());
  map.setView([point.lat, point.lon], 14);
  districtLayer(map).catch(() => {});
  traffic = trafficLayer(map);
  facilityMarkers = L.layerGroup().addTo(map);
  pin = L.marker([point.lat, point.lon], { draggable: true, keyboard: true, title: t('info_pin') }).addTo(map);
  pin.on('dragend', () => { const p = pin.getLatLng(); moveTo(p.lng, p.lat); });
  map.on('click', (e) => moveTo(e.latlng.lng, e.latlng.lat));
  $('gps').addEventListener('click', useGps);
  $('kind').addEventListener('change', loadFacilities);
  document.addEventListener('dasan:language', () => {
    traffic.refresh(); moveTo(point.lon, point.lat);
    pin.getElement()?.setAttribute('title', t('info_pin'));
  });
  await moveTo(point.lon, point.lat);
  document.body.dataset.ready = 'true';
}

main();
