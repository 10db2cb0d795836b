// The workflow API (issue 3): moves with If-Match versions, queue, timeline, staff view, nearby.
import { api } from './common.js';

const enc = encodeURIComponent;

// Staff moves: POST /api/v1/complaints/<id>/<move> with If-Match: "<version>".
export function move(publicId, name, details, { token, version } = {}) {
  const headers = version == null ? {} : { 'If-Match': `"${version}"` };
  return api(`/api/v1/complaints/${enc(publicId)}/${name.replace('_', '-')}`,
    { method: 'POST', token, headers, body: details || {} });
}

// The reporter's moves (cancel, reopen) with the token from intake.
export function citizenMove(publicId, name, citizenToken, version) {
  return api(`/api/v1/complaints/${enc(publicId)}/${name}`, {
    method: 'POST', body: {},
    headers: { 'X-Citizen-Token': citizenToken, 'If-Match': `"${version}"` },
  });
}

export function timeline(publicId, citizenToken) {
  return api(`/api/v1/complaints/${enc(publicId)}/timeline`, { headers: { 'X-Citizen-Token': citizenToken } });
}

export function staffView(publicId, token) {
  return api(`/api/v1/staff/complaints/${enc(publicId)}`, { token });
}

export function suggestedAssignees(publicId, token) {
  return api(`/api/v1/complaints/${enc(publicId)}/suggested-assignees`, { token });
}

// One page of the district queue ({items, total}); `mine` keeps only the caller's own tickets.
export function queue(token, sort, lonlat, { mine = false, offset = 0, limit = 200 } = {}) {
  const near = sort === 'distance' && lonlat ? `&lon=${lonlat[0]}&lat=${lonlat[1]}` : '';
  const own = mine ? '&mine=true' : '';
  return api(`/api/v1/queue?sort=${sort}&limit=${limit}&offset=${offset}${own}${near}`, { token });
}

// Which district and dong own a point ([lon, lat]); 422 outside_service_area beyond the city.
export function locate(lonlat) {
  return api(`/api/v1/locate?lon=${lonlat[0]}&lat=${lonlat[1]}`);
}

export function nearby(lonlat, category) {
  const cat = category ? `&category=${enc(category)}` : '';
  return api(`/api/v1/complaints/nearby?lon=${lonlat[0]}&lat=${lonlat[1]}&radius=150${cat}`);
}
