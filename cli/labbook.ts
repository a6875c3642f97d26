#!/usr/bin/env node
// The `labbook` command. Libraries such as graphql-js run extra checks unless NODE_ENV is
// "production"; a command run by a user is production unless they say otherwise. The rest
// is imported after that is settled, because those libraries read NODE_ENV as they load.
import { defaultNodeEnv } from "./node-env.ts";

defaultNodeEnv();
const { runCli } = await import("./main.ts");
await runCli(process.argv.slice(2));
