// The traffic layer of every map (inspector, dispatcher, citizen's location view): road links
// coloured by congestion, incidents in red with their detours dashed. A help layer: the map
// keeps working when the traffic API cannot be reached.
/* global L */
import { api, t } from './common.js';

export const TRAFFIC_COLOURS = { free: '#2e7d32', slow: '#f9a825', jammed: '#b71c1c', stale: '#9e9e9e' };
const SPAN = 0.6; // degrees; the API refuses larger boxes, so a zoomed-out map asks for its centre

export function viewBbox(map) {
  const b = map.getBounds();
  const cx = (b.getWest() + b.getEast()) / 2;
  const cy = (b.getSouth() + b.getNorth()) / 2;
  const w = Math.min(b.getEast() - b.getWest(), SPAN) / 2;
  const h = Math.min(b.getNorth() - b.getSouth(), SPAN) / 2;
  return [cx - w, cy - h, cx + w, cy + h].map((n) => n.toFixed(5)).join(',');
}

function linkLabel(p) {
  const speed = p.speed_kmh == null ? t('traffic_stale') : `${Math.round(p.speed_kmh)} km/h`;
  return `${p.road || p.link_id}: ${t(`level_${p.level}`)} (${speed})`;
}

export function trafficLayer(map) {
  const links = L.geoJSON(null, {
    style: (f) => ({ color: TRAFFIC_COLOURS[f.properties.level] || '#9e9e9e', weight: 4, opacity: 0.85 }),
    onEachFeature: (f, layer) => layer.bindTooltip(linkLabel(f.properties)),
  });
  const incidents = L.geoJSON(null, {
    style: { color: '#b71c1c', weight: 6, opacity: 0.9, fillOpacity: 0.25 },
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 9, color: '#b71c1c', fillOpacity: 0.8 }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${t(`incident_${f.properties.kind}`)}: ${f.properties.description || ''}`),
  });
  const detours = L.geoJSON(null, { style: { color: '#0d47a1', weight: 4, dashArray: '8 6' }, interactive: false });
  const group = L.layerGroup([links, detours, incidents]).addTo(map);
  const box = map.getContainer().dataset;

  async function refresh() {
    const bbox = viewBbox(map);
    try {
      const data = await api(`/api/v1/traffic?bbox=${bbox}`);
      links.clearLayers();
      links.addData(data);
      box.trafficLinks = String(data.features.length);
      box.trafficStale = String(Boolean(data.stale));
    } catch (err) { /* keep what is drawn */ }
    try {
      const data = await api(`/api/v1/incidents?bbox=${bbox}`);
      incidents.clearLayers();
      detours.clearLayers();
      incidents.addData(data);
      data.features.filter((f) => f.properties.detour)
        .forEach((f) => detours.addData({ type: 'Feature', geometry: f.properties.detour, properties: {} }));
      box.incidents = String(data.features.length);
    } catch (err) { /* keep what is drawn */ }
  }

  map.on('moveend', refresh);
  refresh();
  return { group, refresh };
}
