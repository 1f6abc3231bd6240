/**
 * `node --import ./test/support/moduleLog.mjs …`: appends the URL of every module the process resolves to the
 * file named by `LOOPWRIGHT_MODULE_LOG`, one per line (what a command really loads, for the start-up tests).
 */
import { register } from 'node:module'

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  appendFileSync(process.env.LOOPWRIGHT_MODULE_LOG, resolved.url + '\\n')
  return resolved
}`)}`,
)
