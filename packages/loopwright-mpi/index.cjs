// Loads the compiled addon; when it was never built (no MPI, no compiler), says so and how to build it.
'use strict'
const path = require('node:path')
const candidates = ['build/Release/loopwright_mpi.node', 'build/Debug/loopwright_mpi.node']
let lastError
for (const relative of candidates) {
  try {
    module.exports = require(path.join(__dirname, relative))
    return
  } catch (e) {
    lastError = e
  }
}
const broken = lastError && lastError.code !== 'MODULE_NOT_FOUND'
const reason = broken ? ` (${String(lastError.message).split('\n')[0]})` : ''
const error = new Error(
  `the MPI addon is not built${reason}: install Open MPI (apt-get install libopenmpi-dev openmpi-bin) and run ` +
    '`npm run build --prefix packages/loopwright-mpi`',
)
error.code = 'LOOPWRIGHT_MPI_NOT_BUILT'
throw error
