// A horizontal bar chart (Chart.js) for the campaign overview and the dashboard. The canvas
// carries its numbers in words (`summary`); the same numbers stand in a table next to it.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import type { ChartData, ChartOptions } from "chart.js";
import { Bar } from "react-chartjs-2";

ChartJS.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Scales and legend of bars stacked from their parts, counted in whole numbers. */
export const STACKED: ChartOptions<"bar"> = {
  scales: {
    x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
    y: { stacked: true },
  },
  plugins: { legend: { position: "bottom" } },
};

export function HorizontalBarChart({
  caption,
  summary,
  data,
  options,
  height,
  className = "chart",
}: {
  caption: string;
  summary: string;
  data: ChartData<"bar", number[], string>;
  /** Scales and plugins; the bars are always horizontal, sized by `height`, not animated. */
  options: ChartOptions<"bar">;
  height: number;
  className?: string;
}) {
  const horizontal: ChartOptions<"bar"> = {
    indexAxis: "y",
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    ...options,
  };
  return (
    <figure className={className}>
      <figcaption>{caption}</figcaption>
      <div style={{ position: "relative", height: `${height}px` }}>
        <Bar data={data} options={horizontal} role="img" aria-label={summary} />
      </div>
    </figure>
  );
}
