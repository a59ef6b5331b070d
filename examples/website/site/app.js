// Iris classifier page: reads a CSV, POSTs it unsigned to the endpoint's public invoke URL
// (InvokeEndpoint's REST path, allowed by the operator and the endpoint's tag), and plots the
// answer as SVG. Plain browser JavaScript with no libraries, so the bucket serves everything.
'use strict';

(function () {
  const config = window.IRIS_CONFIG || {};
  const COLORS = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2'];
  const SVG = 'http://www.w3.org/2000/svg';

  /** The Slipway server: configured, or this page's own host without "<bucket>.s3-website.". */
  function serverUrl() {
    if (config.serverUrl) return config.serverUrl.replace(/\/$/, '');
    const host = location.host.replace(/^.*\.s3-website[.-][^.:]*\./, '').replace(/^.*\.s3-website\./, '');
    return `${location.protocol}//${host}`;
  }

  const endpointName = config.endpointName || 'iris';
  const invokeUrl = `${serverUrl()}/endpoints/${encodeURIComponent(endpointName)}/invocations`;
  document.getElementById('endpoint').textContent = invokeUrl;

  const status = document.getElementById('status');
  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  /** Numeric rows of four values; a header line (or blank lines) is skipped. */
  function parseCsv(text) {
    const rows = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      const cells = line.split(',').map((c) => c.trim());
      const values = cells.map(Number);
      if (values.some((v) => Number.isNaN(v))) {
        if (i === 0) return; // header
        throw new Error(`line ${i + 1} is not numeric: ${line}`);
      }
      if (values.length !== 4) throw new Error(`line ${i + 1} has ${values.length} values, expected 4`);
      rows.push(values);
    });
    if (rows.length === 0) throw new Error('the file has no rows');
    return rows;
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ticks(min, max, n) {
    const step = (max - min) / n;
    return Array.from({ length: n + 1 }, (_, i) => min + i * step);
  }

  /** Petal length (x) against petal width (y), one circle per row, coloured by prediction. */
  function plot(rows, labels) {
    const svg = document.getElementById('plot');
    svg.replaceChildren();
    const W = 640, H = 420, L = 56, R = 16, T = 16, B = 48;
    const xs = rows.map((r) => r[2]);
    const ys = rows.map((r) => r[3]);
    const pad = (lo, hi) => (hi - lo === 0 ? [lo - 1, hi + 1] : [lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05]);
    const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
    const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
    const sx = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
    const sy = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
    for (const t of ticks(x0, x1, 5)) {
      svg.append(el('line', { class: 'grid', x1: sx(t), x2: sx(t), y1: T, y2: H - B }));
      svg.append(el('text', { x: sx(t), y: H - B + 18, 'text-anchor': 'middle' }, t.toFixed(1)));
    }
    for (const t of ticks(y0, y1, 5)) {
      svg.append(el('line', { class: 'grid', x1: L, x2: W - R, y1: sy(t), y2: sy(t) }));
      svg.append(el('text', { x: L - 8, y: sy(t) + 4, 'text-anchor': 'end' }, t.toFixed(1)));
    }
    svg.append(el('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.append(el('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    svg.append(el('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle' }, 'petal length (cm)'));
    svg.append(el('text', { x: 14, y: (T + H - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(T + H - B) / 2})` }, 'petal width (cm)'));

    const species = [...new Set(labels)].sort();
    const color = (s) => COLORS[species.indexOf(s) % COLORS.length];
    rows.forEach((r, i) => {
      const c = el('circle', { class: 'point', cx: sx(r[2]), cy: sy(r[3]), r: 6, fill: color(labels[i]), 'fill-opacity': 0.8, 'data-x': r[2], 'data-y': r[3], 'data-label': labels[i] });
      c.append(el('title', {}, `${labels[i]}: petal ${r[2]} × ${r[3]} cm`));
      svg.append(c);
    });

    const legend = document.getElementById('legend');
    legend.replaceChildren(
      ...species.map((s) => {
        const li = document.createElement('li');
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = color(s);
        li.append(sw, `${s}: ${labels.filter((l) => l === s).length}`);
        li.dataset.species = s;
        return li;
      }),
    );
  }

  function table(rows, labels) {
    const body = document.querySelector('#table tbody');
    body.replaceChildren(
      ...rows.map((r, i) => {
        const tr = document.createElement('tr');
        for (const v of [i + 1, ...r, labels[i]]) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  document.getElementById('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = document.getElementById('file').files[0];
    if (!file) return;
    const button = document.getElementById('predict');
    button.disabled = true;
    try {
      const rows = parseCsv(await file.text());
      say(`Sending ${rows.length} rows to ${endpointName}…`);
      const res = await fetch(invokeUrl, { method: 'POST', headers: { 'Content-Type': 'text/csv', Accept: 'text/csv' }, body: rows.map((r) => r.join(',')).join('\n') + '\n' });
      const text = await res.text();
      if (!res.ok) throw new Error(`the endpoint answered ${res.status}: ${text.slice(0, 300)}`);
      const labels = text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
      if (labels.length !== rows.length) throw new Error(`expected ${rows.length} predictions, got ${labels.length}`);
      plot(rows, labels);
      table(rows, labels);
      document.getElementById('result').hidden = false;
      say(`${rows.length} flowers classified.`);
    } catch (err) {
      say(String(err.message || err), true);
    } finally {
      button.disabled = false;
    }
  });
})();
