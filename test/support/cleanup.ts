import { afterAll } from "vitest";
import { removeTempDirs } from "./temp-dir.ts";

// Registered before any test file's own hooks, so it runs after them (hooks unwind as a stack):
// servers are stopped before their directories go.
afterAll(removeTempDirs);
