/// <reference lib="dom" />
import type { Page } from 'playwright-core';

/** A Chart.js chart as the page drew it: its labels, datasets, and how many pixels it painted. */
export interface DrawnChart {
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null> }>;
  painted: number;
}

/** Every chart on the page by its canvas id, read from Chart.js itself and from the canvas pixels. */
export function readCharts(page: Page): Promise<Record<string, DrawnChart>> {
  return page.evaluate(() => {
    const C = (
      window as unknown as {
        Chart: {
          getChart(c: HTMLCanvasElement): {
            data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> };
          };
        };
      }
    ).Chart;
    return Object.fromEntries(
      [...document.querySelectorAll('canvas')].map((canvas) => {
        const chart = C.getChart(canvas);
        // Painted: some pixel of the canvas is not transparent.
        const pixels = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
          0,
          0,
          canvas.width,
          canvas.height,
        ).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) painted++;
        return [
          canvas.id,
          {
            labels: chart.data.labels,
            datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
            painted,
          },
        ];
      }),
    );
  });
}
