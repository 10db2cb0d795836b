// The one place that knows the workflow API's paths (issue 3): adapt here when it lands.
import { api } from './common.js';

export const MOVE_PATH = (publicId) => `/api/v1/complaints/${encodeURIComponent(publicId)}/moves`;

export function move(publicId, name, details, { token, citizenToken } = {}) {
  const headers = citizenToken ? { 'X-Citizen-Token': citizenToken } : {};
  return api(MOVE_PATH(publicId), { method: 'POST', token, headers, body: { move: name, ...details } });
}

export function timeline(publicId, { token, citizenToken } = {}) {
  const headers = citizenToken ? { 'X-Citizen-Token': citizenToken } : {};
  return api(`/api/v1/complaints/${encodeURIComponent(publicId)}/events`, { token, headers });
}

export function queue(token, sort, lonlat) {
  const near = lonlat ? `&lon=${lonlat[0]}&lat=${lonlat[1]}` : '';
  return api(`/api/v1/queue?sort=${sort}${near}`, { token });
}

export function rate(publicId, score, citizenToken) {
  return api(`/api/v1/complaints/${encodeURIComponent(publicId)}/rating`, {
    method: 'POST', headers: { 'X-Citizen-Token': citizenToken }, body: { score },
  });
}
