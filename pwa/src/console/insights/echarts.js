// ECharts, tree-shaken: the core, the canvas renderer and only the charts and components the insights screen
// draws. Imported by the console's insights chunk only, so the rep's first load carries none of it.
import { BarChart, CustomChart, FunnelChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { init, use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

use([BarChart, CustomChart, FunnelChart, LineChart, GridComponent, LegendComponent, MarkLineComponent,
  TooltipComponent, CanvasRenderer]);

export { init };
