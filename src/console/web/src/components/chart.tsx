/**
 * @module console/components/chart — a thin React wrapper around uPlot for time or numeric
 * series. Colours come from CSS variables so light and dark themes both read well.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { xRange } from './chart-range.js';

export interface Series {
  label: string;
  values: (number | null)[];
  /** Draw points only (e.g. anomalies marked by a model). */
  points?: boolean;
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({
  title,
  x,
  series,
  height = 220,
  time = true,
  yLabel,
}: {
  title: string;
  x: number[];
  series: Series[];
  height?: number;
  time?: boolean;
  yLabel?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const shape = `${time}|${series.map((s) => `${s.label}:${s.points ? 1 : 0}`).join(',')}`;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const fg = cssVar('--fg-muted');
    const grid = cssVar('--border');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time, range: (u, min, max) => xRange(u.data[0] ?? [], min, max, time) } },
      // The x span drawn, for tests and curious readers (data-x-span on the figure, in x units).
      hooks: {
        setScale: [
          (u, key) => {
            if (key === 'x' && u.scales.x?.min != null && u.scales.x.max != null) el.parentElement?.setAttribute('data-x-span', String(u.scales.x.max - u.scales.x.min));
          },
        ],
      },
      axes: [axis, { ...axis, label: yLabel }],
      legend: { show: true },
      series: [
        { label: time ? 'time' : 'x' },
        ...series.map((s, i) => {
          const color = cssVar(PALETTE[i % PALETTE.length]!);
          return s.points
            ? { label: s.label, stroke: color, width: 0, points: { show: true, size: 9, stroke: color, fill: color } }
            : { label: s.label, stroke: color, width: 2, points: { show: false } };
        }),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    plotRef.current = plot;
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
    // Recreate only when the series shape changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height]);

  useEffect(() => {
    plotRef.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [x, series]);

  return (
    <figure className="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={ref} className="chart-canvas" />
    </figure>
  );
}
