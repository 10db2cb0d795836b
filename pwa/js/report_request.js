// How a queued report becomes an HTTP request, shared by the report page and the service
// worker. A classic script (the worker loads it with importScripts, the page with <script>),
// because a Workbox worker cannot import ES modules.
self.dasanReportRequest = function dasanReportRequest(entry) {
  const r = entry.report;
  const headers = { 'Idempotency-Key': entry.client_ref };
  if (entry.photos && entry.photos.length) {
    // Complaint and photos in one multipart request: created together or not at all.
    const form = new FormData();
    for (const [key, value] of Object.entries({
      category: r.category, lon: r.lon, lat: r.lat, description: r.description,
      language: r.language, channel: 'pwa', ...(r.phone ? { phone: r.phone } : {}),
      // Category attributes (lamp-post number, plate) as one JSON field; older queued
      // reports have none.
      attributes: JSON.stringify(r.attributes || {}),
    })) form.append(key, value);
    entry.photos.forEach((blob, i) => form.append('photos', blob, `photo${i + 1}.jpg`));
    return { path: '/api/v1/complaints/with-photos', headers, form };
  }
  return {
    path: '/api/v1/complaints',
    headers,
    body: { category: r.category, location: { type: 'Point', coordinates: [r.lon, r.lat] },
      description: r.description, phone: r.phone || null, language: r.language,
      attributes: r.attributes || {} },
  };
};
