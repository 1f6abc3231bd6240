/**
 * `node --import ./test/support/moduleLog.mjs test/support/planMany.mjs CONFIG…`: `loopwright dry-run` of each
 * config in one process, through the built CLI's `main`, writing `# CONFIG` to `LOOPWRIGHT_MODULE_LOG` before each
 * plan, so that a module in the log is charged to the plan that first loaded it. Exits with the first non-zero code.
 */
import { appendFileSync } from 'node:fs'
import { main } from '../../dist/cli/main.js'

let code = 0
for (const config of process.argv.slice(2)) {
  appendFileSync(process.env.LOOPWRIGHT_MODULE_LOG, `# ${config}\n`)
  const planned = await main(['dry-run', config])
  if (planned !== 0 && code === 0) code = planned
}
process.exit(code)
