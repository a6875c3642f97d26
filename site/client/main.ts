/**
 * The report's one script, bundled as a classic script (Chromium runs no module script from
 * file://): local times, charts, and the runs table.
 */
import { setUpCharts } from "./charts.ts";
import { setUpLivePage } from "./live.ts";
import { setUpRunsTables } from "./runs-table.ts";
import { showLocalTimes } from "./times.ts";

setUpLivePage(); // only on pages served by `labbook server`; first, as it takes over charts
showLocalTimes();
setUpRunsTables();
setUpCharts();
