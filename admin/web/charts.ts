// ECharts, imported piece by piece so the bundle carries only the line, bar and pie charts it draws.
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

/** A chart on a canvas inside `host`; resize with the window; dispose when the page goes. */
export class Chart {
  private readonly chart: echarts.ECharts;
  private readonly onResize = () => this.chart.resize();

  constructor(host: HTMLElement, locale: string) {
    this.chart = echarts.init(host, undefined, {
      renderer: 'canvas',
      locale: locale.startsWith('zh') ? 'ZH' : 'EN',
    });
    window.addEventListener('resize', this.onResize);
  }

  set(option: ChartOption): void {
    // Tooltips drawn on the canvas ('richText'): the HTML ones would need inline style attributes,
    // which the page's CSP forbids.
    this.chart.setOption({ animation: false, tooltip: { renderMode: 'richText' }, ...option }, true);
  }

  dispose(): void {
    window.removeEventListener('resize', this.onResize);
    this.chart.dispose();
  }
}
