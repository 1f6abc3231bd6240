/**
 * Every `npx loopwright …` line of README.md and docs/getting-started.md
 * runs as written against the built project, in order (a `--resume` line
 * continues the run above it), in a scratch folder that sees the project's
 * `configs/` and, as an installed package, `node_modules/loopwright`. Training lines are shortened with `--cfg-options`
 * (one short
 * epoch on a few hundred samples) and nothing else.
 */
import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = process.cwd()

/** The `npx loopwright` lines of a Markdown file's bash blocks, comments removed, split into words. */
const commandLines = (markdown: string): ReadonlyArray<ReadonlyArray<string>> => {
  const lines: string[][] = []
  let inBash = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inBash = !inBash && /^```(bash|sh)\s*$/.test(line)
    else if (inBash && line.startsWith('npx loopwright ')) {
      const words = line
        .replace(/\s+#.*$/, '')
        .trim()
        .split(/\s+/)
      lines.push(words.slice(2))
    }
  }
  return lines
}

const shorten = [
  'train_cfg.max_epochs=1',
  'train_dataloader.dataset.indices=256',
  'val_dataloader.dataset.indices=100',
  'test_dataloader.dataset.indices=100',
]

const loopwright = async (args: ReadonlyArray<string>, cwd: string) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [nodePath.join(root, 'dist/cli/bin.js'), ...args], {
      cwd,
      maxBuffer: 64 << 20,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('the commands in the README and the getting-started guide', () => {
  const readme = commandLines(fs.readFileSync(nodePath.join(root, 'README.md'), 'utf8'))
  const guide = commandLines(fs.readFileSync(nodePath.join(root, 'docs/getting-started.md'), 'utf8'))

  it('finds them (train, dry-run and doctor lines)', () => {
    expect(readme.length).toBeGreaterThanOrEqual(10)
    expect(new Set([...readme, ...guide].map((words) => words[0]))).toEqual(new Set(['train', 'dry-run', 'doctor']))
  })

  for (const [name, commands] of [
    ['README.md', readme],
    ['docs/getting-started.md', guide],
  ] as const) {
    it(`${name}: each runs and exits 0`, async () => {
      const cwd = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-readme-'))
      fs.symlinkSync(nodePath.join(root, 'configs'), nodePath.join(cwd, 'configs'))
      // As in a project that installed loopwright (docs/getting-started.md §0).
      fs.mkdirSync(nodePath.join(cwd, 'node_modules'))
      fs.symlinkSync(root, nodePath.join(cwd, 'node_modules', 'loopwright'))
      for (const words of commands) {
        const args = words[0] === 'train' ? [...words, '--cfg-options', ...shorten] : words
        const result = await loopwright(args, cwd)
        expect(result.code, `loopwright ${args.join(' ')}\n${result.stderr}`).toBe(0)
        expect(result.stderr, `loopwright ${args.join(' ')}`).not.toMatch(/\n\s+at /)
      }
    }, 300_000)
  }
})
