#!/usr/bin/env bun
/** Entry point: run the CLI and turn its Outcome into the process exit code (cli/index.ts). */
import { main } from "./cli/index.ts";

process.exitCode = await main(process.argv.slice(2));
