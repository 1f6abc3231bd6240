// Fails when a source line is longer than 120 characters (Biome's formatter wraps code, not comments or strings).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['src', 'test', 'bench', 'examples', 'soak', 'scripts']
const skip = new Set(['node_modules', 'dist'])
const limit = 120
const found = []
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!skip.has(entry.name) && path !== join('test', 'fixtures')) walk(path)
    } else if (/\.(ts|mjs|js)$/.test(entry.name)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.length > limit) found.push(`${path}:${i + 1}: ${line.length} characters`)
        })
    }
  }
}
for (const root of roots) {
  try {
    walk(root)
  } catch (e) {
    if (e.code !== 'ENOENT') throw e
  }
}
for (const line of found) console.error(line)
if (found.length > 0) {
  console.error(`${found.length} lines over ${limit} characters`)
  process.exit(1)
}
