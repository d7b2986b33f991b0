// charts.js - small live line charts in plain SVG: the last N samples of a
// few series, a gap where a sample is missing (null), the newest value of
// each series beside its name. No library and no build step; the samples
// are kept on the element (data-samples, and each line's data-values) so
// that tests and scripts can read what is drawn.
const W = 300;
const H = 100;
const COLOURS = ['#2456c8', '#b3261e', '#1f7a3a', '#9a6700', '#6b3fa0'];
const SVG = 'http://www.w3.org/2000/svg';

function nice(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
}

function fmt(v, unit) {
  if (v == null) return '—';
  if (Number.isInteger(v)) return `${v}${unit}`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit}`;
}

export class LineChart {
  // id: data-chart; series: [{key, label}]; unit: shown after values;
  // max: a fixed top of the scale (a ratio's 1), else it follows the data.
  constructor(id, title, series, { unit = '', max = null, keep = 90 } = {}) {
    this.series = series;
    this.unit = unit;
    this.max = max;
    this.keep = keep;
    this.samples = [];
    this.el = document.createElement('figure');
    this.el.className = 'chart';
    this.el.dataset.chart = id;
    const cap = document.createElement('figcaption');
    cap.textContent = title;
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.setAttribute('aria-hidden', 'true');
    this.top = document.createElement('span');
    this.top.className = 'scale';
    this.legend = document.createElement('ul');
    this.legend.className = 'legend';
    this.lines = series.map((s, i) => {
      const path = document.createElementNS(SVG, 'path');
      path.setAttribute('stroke', COLOURS[i % COLOURS.length]);
      path.setAttribute('fill', 'none');
      path.setAttribute('stroke-width', '1.5');
      path.setAttribute('vector-effect', 'non-scaling-stroke');
      path.dataset.series = s.key;
      this.svg.append(path);
      const li = document.createElement('li');
      li.style.setProperty('--swatch', COLOURS[i % COLOURS.length]);
      this.legend.append(li);
      return { path, li };
    });
    this.el.append(cap, this.top, this.svg, this.legend);
    this.draw();
  }

  // values: {key: number|null}, or null for a sample that could not be taken.
  push(values) {
    this.samples.push(values);
    if (this.samples.length > this.keep) this.samples.shift();
    this.draw();
  }

  draw() {
    const all = this.samples.flatMap((v) => (v ? this.series.map((s) => v[s.key]) : []))
      .filter((x) => typeof x === 'number' && Number.isFinite(x));
    const top = this.max ?? nice(Math.max(0, ...all));
    this.top.textContent = `max ${fmt(top, this.unit)}`;
    const step = W / Math.max(1, this.keep - 1);
    const x0 = W - step * (this.samples.length - 1);
    this.series.forEach((s, i) => {
      let d = '';
      let pen = false;
      const values = this.samples.map((v) => (v && Number.isFinite(v[s.key]) ? v[s.key] : null));
      values.forEach((v, j) => {
        if (v == null) { pen = false; return; }
        const x = (x0 + j * step).toFixed(1);
        const y = (H - (Math.min(v, top) / top) * (H - 2) - 1).toFixed(1);
        d += `${pen ? 'L' : 'M'}${x},${y}`;
        pen = true;
      });
      const { path, li } = this.lines[i];
      path.setAttribute('d', d);
      path.dataset.values = JSON.stringify(values);
      const last = values.length ? values[values.length - 1] : null;
      li.textContent = `${s.label} ${fmt(last, this.unit)}`;
    });
    this.el.dataset.samples = String(this.samples.length);
  }
}
