#!/usr/bin/env node
/**
 * The installed `loopwright` executable (package.json `bin`). It always runs:
 * npx, `node_modules/.bin`, `npm link` and global installs start it through
 * a symlink, so it must not compare its own path with `process.argv[1]`.
 * @module
 */
import { runAsProcess } from './main.js'

await runAsProcess(process.argv.slice(2))
