/**
 * Preloaded (`node --import`) into a process the benchmarks time: on exit it prints the peak
 * memory of the whole process (every thread), which nothing outside it can read once it ends.
 */
process.on("exit", () => {
  process.stderr.write(`peak-memory ${process.resourceUsage().maxRSS}\n`);
});
