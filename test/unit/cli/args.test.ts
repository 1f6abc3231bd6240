import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../../src/cli/args.js'

const ok = (argv: string[]) => {
  const parsed = parseArgs(argv)
  if (parsed._tag === 'Left') throw new Error(parsed.left)
  return parsed.right
}
const error = (argv: string[]): string => {
  const parsed = parseArgs(argv)
  if (parsed._tag === 'Right') throw new Error(`accepted ${argv.join(' ')}`)
  return parsed.left
}

describe('parseArgs', () => {
  it("accepts MMEngine's tools/train.py flags", () => {
    const p = ok([
      'train',
      'cfg.py',
      '--work-dir',
      'w',
      '--resume',
      '--amp',
      '--auto-scale-lr',
      '--launcher',
      'none',
      '--cfg-options',
      'a=1',
      'b.c=2',
    ])
    expect(p.command).toBe('train')
    expect(p.positionals).toEqual(['cfg.py'])
    expect(p.flags.get('work-dir')).toEqual(['w'])
    expect(p.flags.get('resume')).toEqual([])
    expect(p.flags.has('amp')).toBe(true)
    expect(p.flags.has('auto-scale-lr')).toBe(true)
    expect(p.flags.get('launcher')).toEqual(['none'])
    expect(p.flags.get('cfg-options')).toEqual(['a=1', 'b.c=2'])
  })

  it('takes a checkpoint after --resume, but not a config file', () => {
    expect(ok(['train', 'cfg.py', '--resume', 'w/epoch_2.safetensors']).flags.get('resume')).toEqual([
      'w/epoch_2.safetensors',
    ])
    const p = ok(['train', '--resume', 'cfg.py'])
    expect(p.flags.get('resume')).toEqual([])
    expect(p.positionals).toEqual(['cfg.py'])
    expect(ok(['train', 'cfg.py', '--resume=ck.safetensors']).flags.get('resume')).toEqual(['ck.safetensors'])
  })

  it('rejects unknown and misspelt flags with a did-you-mean', () => {
    expect(error(['train', 'c.py', '--cfg-option', 'train_cfg.max_epochs=1'])).toBe(
      "unknown option --cfg-option for 'train' (did you mean --cfg-options?)",
    )
    expect(error(['train', 'c.py', '--work_dir', 'w'])).toBe(
      "unknown option --work_dir for 'train' (did you mean --work-dir?)",
    )
    expect(error(['train', 'c.py', '--bogus'])).toBe("unknown option --bogus for 'train'")
    expect(error(['dry-run', 'c.py', '--resume'])).toMatch(/^unknown option --resume for 'dry-run'/)
    expect(error(['doctor', '--backnd', 'cpu'])).toBe("unknown option --backnd for 'doctor' (did you mean --backend?)")
  })

  it('rejects unknown commands with a did-you-mean, bad choices and missing values', () => {
    expect(error(['trian', 'c.py'])).toBe("unknown command 'trian' (did you mean train?)")
    expect(error(['train', 'c.py', '--launcher', 'ssh'])).toBe(
      '--launcher: expected one of none, threads, pytorch, slurm, mpi, got "ssh"',
    )
    expect(error(['train', 'c.py', '--work-dir'])).toBe('--work-dir needs a value')
    expect(error(['train', 'c.py', '--amp=yes'])).toBe('--amp takes no value, got "yes"')
    expect(error(['train', 'c.py', '--cfg-options'])).toBe('--cfg-options needs at least one value')
  })

  it('knows --help, -h and --version everywhere', () => {
    expect(ok(['--version']).flags.has('version')).toBe(true)
    expect(ok(['train', '-h']).flags.has('help')).toBe(true)
    expect(ok([]).command).toBeUndefined()
  })
})
