// Bundles tfjs-core's gradient and chained-op registrations into one ESM file.
// tfjs-core ships them as ESM files with extensionless imports, which plain Node
// cannot load; a bundle can (see docs/backends.md). Run by `npm ci` (prepare).
import { build } from 'esbuild'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'vendor', 'tfjs-gradients.mjs')
mkdirSync(dirname(out), { recursive: true })
const entry = join(root, 'vendor', 'gradients-entry.mjs')
writeFileSync(
  entry,
  [
    "import '../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js'",
    "import '../node_modules/@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js'",
  ].join('\n'),
)
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The registrations must land in the same tfjs-core instance the project uses.
  external: ['@tensorflow/tfjs-core'],
  outfile: out,
  logLevel: 'warning',
})
