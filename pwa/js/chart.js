// Plain SVG bar charts (no chart library): one row per label, one bar per series.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function barChart(rows, series, title) {
  const rowHeight = 22 * series.length + 8;
  const width = 640;
  const labelWidth = 150;
  const height = rows.length * rowHeight + 30;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r[s.key] || 0)));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  rows.forEach((row, i) => {
    const y = i * rowHeight + 4;
    svg.append(el('text', { x: 0, y: y + 16, 'font-size': 13, fill: '#1a1a1a' }, row.label));
    series.forEach((s, j) => {
      const value = row[s.key] || 0;
      const w = ((width - labelWidth - 50) * value) / max;
      svg.append(el('rect', { x: labelWidth, y: y + j * 22, width: Math.max(w, 1), height: 18, fill: s.colour }));
      svg.append(el('text', { x: labelWidth + w + 4, y: y + j * 22 + 14, 'font-size': 13, fill: '#1a1a1a' }, String(value)));
    });
  });
  const legendY = height - 8;
  series.forEach((s, j) => {
    svg.append(el('rect', { x: labelWidth + j * 160, y: legendY - 12, width: 14, height: 14, fill: s.colour }));
    svg.append(el('text', { x: labelWidth + j * 160 + 20, y: legendY, 'font-size': 13, fill: '#1a1a1a' }, s.label));
  });
  return svg;
}
