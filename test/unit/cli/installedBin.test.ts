/**
 * The CLI as a user gets it: `npm pack`, install the tarball into a fresh
 * project, run the installed bin through every way npm starts it (the
 * `.bin` symlink, `npx`, `npm exec`, a symlink elsewhere as `npm link`
 * makes, a global install into a private prefix). Needs the built `dist/` (`npm test` builds first). The
 * install prefers npm's cache, so it is fast where the project's own
 * `npm ci` ran and still works with only the registry.
 */
import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { version } from '../../../src/version.js'

const run = promisify(execFile)
const root = process.cwd()
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

const exec = async (file: string, args: ReadonlyArray<string>, cwd: string) => {
  try {
    const { stdout, stderr } = await run(file, [...args], { cwd, env: { ...process.env, npm_config_yes: 'true' } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

let project = ''
let tarball = ''

beforeAll(async () => {
  expect(fs.existsSync(nodePath.join(root, 'dist/cli/bin.js')), 'build first: npm run build').toBe(true)
  const tmp = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-installed-'))
  // --ignore-scripts: `prepare` rebuilds vendor/, which the checkout already has; dist/ is built.
  const packed = await run(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], { cwd: root })
  tarball = nodePath.join(tmp, packed.stdout.trim().split('\n').at(-1)!)
  project = nodePath.join(tmp, 'project')
  fs.mkdirSync(project)
  fs.writeFileSync(
    nodePath.join(project, 'package.json'),
    JSON.stringify({ name: 'uses-loopwright', version: '1.0.0', private: true, type: 'module' }),
  )
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], {
    cwd: project,
  })
}, 240_000)

describe('the installed loopwright bin', () => {
  it('runs from node_modules/.bin, through npx, and through a symlink elsewhere', async () => {
    const bin = nodePath.join(project, 'node_modules/.bin/loopwright')
    expect(fs.lstatSync(bin).isSymbolicLink()).toBe(true)
    expect((await exec(bin, ['--version'], project)).stdout).toBe(`${version}\n`)
    expect((await exec(npm, ['exec', '--', 'loopwright', '--version'], project)).stdout).toBe(`${version}\n`)
    expect((await exec('npx', ['loopwright', '--version'], project)).stdout).toBe(`${version}\n`)
    // `npm link` and global installs: a symlink in another bin folder, to the bin or to main.js.
    const elsewhere = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-link-'))
    for (const target of ['dist/cli/bin.js', 'dist/cli/main.js']) {
      const link = nodePath.join(elsewhere, nodePath.basename(target, '.js'))
      fs.symlinkSync(nodePath.join(project, 'node_modules/loopwright', target), link)
      expect((await exec(process.execPath, [link, '--version'], elsewhere)).stdout).toBe(`${version}\n`)
    }
  }, 60_000)

  it('plans and trains a shipped config, and refuses a misspelt flag with exit 2', async () => {
    const config = nodePath.join(project, 'node_modules/loopwright/configs/mnist_mlp.json')
    const bin = nodePath.join(project, 'node_modules/.bin/loopwright')
    const plan = await exec(bin, ['dry-run', config], project)
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/^loopwright dry run of /)
    const short = [
      'train_cfg.max_epochs=1',
      'train_dataloader.dataset.indices=256',
      'val_dataloader.dataset.indices=100',
      'test_dataloader.dataset.indices=100',
    ]
    const trained = await exec(bin, ['train', config, '--work-dir', 'work', '--cfg-options', ...short], project)
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout).toMatch(/^Trained 2 iterations \(1 epochs\)/m)
    const typo = await exec(bin, ['train', config, '--cfg-option', 'train_cfg.max_epochs=1'], project)
    expect(typo.code).toBe(2)
    expect(typo.stderr).toMatch(/unknown option --cfg-option for 'train' \(did you mean --cfg-options\?\)/)
  }, 120_000)

  it('runs from a global install (npm install -g, here into a private prefix)', async () => {
    const prefix = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'loopwright-global-'))
    const args = [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      tarball,
    ]
    await run(npm, args, { cwd: prefix })
    const bin = nodePath.join(prefix, 'bin', 'loopwright')
    expect(fs.lstatSync(bin).isSymbolicLink()).toBe(true)
    expect((await exec(bin, ['--version'], os.tmpdir())).stdout).toBe(`${version}\n`)
    const help = await exec(bin, ['--help'], os.tmpdir())
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--auto-scale-lr/)
  }, 180_000)
})
