/** `labbook demo --help`, apart from the command so that printing it loads nothing else. */
export const demoHelp = `Usage: labbook demo [options]        (npm start)

The first five minutes in one command: trains the MNIST example (examples/mnist) three times
with different parameters, registers the best model as mnist_classifier@champion, builds the
report with a comparison of the three runs, and serves the API and the report from one local
server until Ctrl-C (with --no-serve, stops once the report is written). Everything goes into one folder, replaced on each start.

Options:
  --dir <dir>       The demo's folder (default ./labbook-demo): database, artifacts, report.
  --host <address>  Address to listen on (default 127.0.0.1).
  --port <n>        Port (default 4000; a free one when 4000 is taken; 0 always picks one).
  --epochs <n>      Epochs per training run (default 3).
  --no-serve        Stop once the report is built instead of serving it.
  --json            Print one JSON line with the URLs once serving (for scripts); with
                    --no-serve, where the report was written.
  -h, --help        Show this help.`;
