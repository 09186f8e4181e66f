// A small hand-written SVG line chart (no chart dependency for one figure):
// conv p99 against ops flood rate, one line per mode, log-scaled y axis.

export interface Series {
  name: string;
  color: string;
  /** x: deliveries/s offered (achieved for saturation), y: ms. */
  points: { x: number; y: number; label?: string }[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const W = 760;
  const H = 440;
  const L = 70;
  const R = 170;
  const T = 50;
  const B = 60;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y > 0);
  const xMax = Math.max(1, ...xs) * 1.05;
  const yMin = Math.pow(10, Math.floor(Math.log10(Math.min(...ys))));
  const yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(...ys))));
  const px = (x: number): number => L + (x / xMax) * (W - L - R);
  const py = (y: number): number => T + (1 - (Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - R / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let d = yMin; d <= yMax; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > yMax) break;
      const y = py(v);
      out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="${m === 1 ? '#bbb' : '#eee'}"/>`);
      out.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
  }
  const step = Math.pow(10, Math.floor(Math.log10(xMax / 2)));
  for (let x = 0; x <= xMax; x += step * (xMax / step > 8 ? 2 : 1)) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    out.push(`<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${x >= 1000 ? `${x / 1000}k` : x}</text>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.5" points="${pts.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" fill="${s.color}"/>`);
      if (p.label) out.push(`<text x="${px(p.x) + 6}" y="${py(p.y) - 6}" fill="${s.color}" font-size="10">${esc(p.label)}</text>`);
    }
    const ly = T + 20 + i * 22;
    out.push(`<line x1="${W - R + 16}" x2="${W - R + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${W - R + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
