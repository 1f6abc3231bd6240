// Builds the addon with the node-gyp that ships with npm, against this Node's own headers (no download).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import * as path from 'node:path'

const here = path.dirname(new URL(import.meta.url).pathname)
const prefix = path.dirname(path.dirname(process.execPath))
const gyp = [
  path.join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  path.join(path.dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => existsSync(p))
if (gyp === undefined) throw new Error('node-gyp (shipped with npm) was not found next to this node')
try {
  execFileSync('mpicc', ['--showme:version'], { stdio: 'ignore' })
} catch {
  console.error('mpicc was not found: install Open MPI first (apt-get install libopenmpi-dev openmpi-bin)')
  process.exit(1)
}
const headers = existsSync(path.join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : []
execFileSync(process.execPath, [gyp, 'rebuild', ...headers], { cwd: here, stdio: 'inherit' })
