// Photo thumbnails shared by the status page, the dispatcher's panel and the inspector's queue.
import { api, t } from './common.js';

// The photos of a complaint (signed URLs); `auth` is { token } for staff or { headers } for the reporter.
export async function listPhotos(publicId, auth = {}) {
  const data = await api(`/api/v1/complaints/${encodeURIComponent(publicId)}/photos`, auth);
  return data.photos || [];
}

// Thumbnails that open the full picture; staff also read why an evidence photo is doubtful.
export function photoStrip(photos) {
  const list = document.createElement('ul');
  list.className = 'previews list';
  photos.forEach((photo, i) => {
    const li = document.createElement('li');
    const link = document.createElement('a');
    link.href = photo.url; link.target = '_blank'; link.rel = 'noopener';
    const img = document.createElement('img');
    img.src = photo.thumb_url;
    img.alt = `${t(photo.kind === 'evidence' ? 'evidence' : 'photo_alt')} ${i + 1}`;
    link.append(img);
    li.append(link);
    for (const flag of photo.flags || []) {
      const note = document.createElement('small');
      note.className = 'flag';
      note.textContent = t(`flag_${flag}`);
      li.append(note);
    }
    list.append(li);
  });
  return list;
}
