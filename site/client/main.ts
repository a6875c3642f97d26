/**
 * The report's one script, bundled as a classic script (Chromium runs no module script from
 * file://): local times, charts, and the runs table.
 */
import { setUpCharts } from "./charts.ts";
import { setUpRunsTables } from "./runs-table.ts";
import { showLocalTimes } from "./times.ts";

showLocalTimes();
setUpRunsTables();
setUpCharts();
