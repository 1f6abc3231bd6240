import { describe, expect, it } from 'vitest'
import {
  evaluatePythonConfig,
  readPythonBaseList,
  type PyValue,
  type PythonConfigError,
} from '../../../src/config/python/index.js'

type Base = { readonly [k: string]: PyValue }

/** Evaluates and returns the variables, failing the test on a Left. */
const run = (source: string, options: { base?: Base; fileName?: string } = {}): { readonly [k: string]: PyValue } => {
  const result = evaluatePythonConfig(source, options)
  if (result._tag === 'Left') {
    throw new Error(`expected Right, got ${result.left.line}:${result.left.column} ${result.left.message}`)
  }
  return result.right
}

/** Evaluates and returns the error, failing the test on a Right. */
const error = (source: string, options: { base?: Base; fileName?: string } = {}): PythonConfigError => {
  const result = evaluatePythonConfig(source, options)
  if (result._tag === 'Right') throw new Error(`expected Left, got ${JSON.stringify(result.right)}`)
  return result.left
}

const value = (expression: string, base?: Base): PyValue =>
  run(`x = ${expression}`, base === undefined ? {} : { base }).x ?? null

const SIMSIAM = `_base_ = ['../_base_/models/simsiam.py', '../_base_/default_runtime.py']
# optimizer
lr = 0.05
optimizer = dict(type='SGD', lr=lr, weight_decay=1e-4, momentum=0.9)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0, end=200)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr, adjust_by_epoch=False)
]
img_size = 224
auto_scale_lr = dict(base_batch_size=512)
`

describe('evaluatePythonConfig: a realistic config', () => {
  it('evaluates an MMSelfSup SimSiam config', () => {
    const cfg = run(SIMSIAM)
    expect(cfg).toEqual({
      lr: 0.05,
      optimizer: { type: 'SGD', lr: 0.05, weight_decay: 1e-4, momentum: 0.9 },
      optim_wrapper: {
        type: 'OptimWrapper',
        optimizer: { type: 'SGD', lr: 0.05, weight_decay: 1e-4, momentum: 0.9 },
        paramwise_cfg: { custom_keys: { predictor: { fix_lr: true } } },
      },
      param_scheduler: [{ type: 'CosineAnnealingLR', T_max: 200, by_epoch: true, begin: 0, end: 200 }],
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 200 },
      default_hooks: { checkpoint: { interval: 10, max_keep_ckpts: 3 } },
      custom_hooks: [{ type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false }],
      img_size: 224,
      auto_scale_lr: { base_batch_size: 512 },
    })
  })

  it('keeps first-assignment order and leaves out _base_ and dunder names', () => {
    const cfg = run(`b = 1\n__private = 2\na = 3\nb = 4\n_base_ = 'x.py'`)
    expect(Object.keys(cfg)).toEqual(['b', 'a'])
    expect(cfg.b).toBe(4)
    expect(Object.keys(run(SIMSIAM))[0]).toBe('lr')
  })

  it('ignores comments, blank lines, docstrings, semicolons and backslash continuations', () => {
    const cfg = run(`"""Module docstring."""\n\n# comment\na = 1  # trailing\nb = 1 + \\\n    2; c = 3;\n`)
    expect(cfg).toEqual({ a: 1, b: 3, c: 3 })
  })

  it('accepts Windows line endings and a BOM', () => {
    expect(run('\uFEFFa = [1,\r\n  2]\r\nb = 3\r\n')).toEqual({ a: [1, 2], b: 3 })
  })
})

describe('evaluatePythonConfig: literals', () => {
  it('reads ints, including underscores and radix prefixes', () => {
    expect(run('a = 1_000\nb = 0x1F\nc = 0o17\nd = 0b101\ne = -3')).toEqual({ a: 1000, b: 31, c: 15, d: 5, e: -3 })
  })

  it('reads floats in every spelling; 2.0 comes out as the number 2', () => {
    expect(run('a = 1e-4\nb = .5\nc = 5.\nd = 2.0\ne = 1.5E3\nf = 1_0.2_5')).toEqual({
      a: 0.0001,
      b: 0.5,
      c: 5,
      d: 2,
      e: 1500,
      f: 10.25,
    })
  })

  it('reads True, False and None', () => {
    expect(run('a = True\nb = False\nc = None')).toEqual({ a: true, b: false, c: null })
  })

  it('reads single, double and raw strings with escapes', () => {
    expect(value(`'it\\'s'`)).toBe("it's")
    expect(value(`"say \\"hi\\""`)).toBe('say "hi"')
    expect(value(`'a\\tb\\nc\\\\d'`)).toBe('a\tb\nc\\d')
    expect(value(`r'C:\\new\\table'`)).toBe('C:\\new\\table')
    expect(value(`'\\x41\\u00e9'`)).toBe('Aé')
  })

  it('reads triple-quoted strings spanning lines', () => {
    const cfg = run(`a = '''first\nsecond "quoted"'''\nb = """x\n  y"""\nc = 1`)
    expect(cfg).toEqual({ a: 'first\nsecond "quoted"', b: 'x\n  y', c: 1 })
  })

  it('concatenates adjacent string literals, also across lines in brackets', () => {
    expect(value(`'ab' "cd"`)).toBe('abcd')
    expect(run(`x = ('data/'\n     'train.json')`).x).toBe('data/train.json')
  })

  it('turns tuples into arrays', () => {
    expect(run('a = (1, 2)\nb = (1,)\nc = ()\nd = 1, 2\ne = (3)')).toEqual({
      a: [1, 2],
      b: [1],
      c: [],
      d: [1, 2],
      e: 3,
    })
  })

  it('reads nested dict(...) calls and dict displays with trailing commas', () => {
    const cfg = run(
      `model = dict(\n    type='X',\n    backbone=dict(depth=50, out=(1, 2,),),\n    ` +
        `head={'a': 1, "b": [1, 2,], 3: 'int key',},\n)`,
    )
    expect(cfg.model).toEqual({
      type: 'X',
      backbone: { depth: 50, out: [1, 2] },
      head: { a: 1, b: [1, 2], '3': 'int key' },
    })
  })

  it('merges dicts with dict(other, k=v), ** unpacking and |', () => {
    const cfg = run(
      `a = dict(x=1, y=2)\nb = dict(a, y=3, z=4)\nc = {**a, 'w': 0}\nd = dict(**a, ` +
        `w=0)\ne = a | dict(y=9)\nf = dict([('k', 1)])`,
    )
    expect(cfg.b).toEqual({ x: 1, y: 3, z: 4 })
    expect(cfg.c).toEqual({ x: 1, y: 2, w: 0 })
    expect(cfg.d).toEqual({ x: 1, y: 2, w: 0 })
    expect(cfg.e).toEqual({ x: 1, y: 9 })
    expect(cfg.f).toEqual({ k: 1 })
  })

  it('keeps a "__proto__" key as data', () => {
    const cfg = run(`x = {'__proto__': 1}`)
    expect(Object.keys(cfg.x as object)).toEqual(['__proto__'])
  })
})

describe('evaluatePythonConfig: arithmetic', () => {
  it('floors // and % toward negative infinity', () => {
    expect(run('a = -7 // 2\nb = -7 % 3\nc = 7 % -3\nd = 7 // 2\ne = 7.5 // 2\nf = -7.5 % 2')).toEqual({
      a: -4,
      b: 2,
      c: -2,
      d: 3,
      e: 3,
      f: 0.5,
    })
  })

  it('always gives a float from / and follows ** precedence', () => {
    expect(run('a = 1 / 2\nb = 4 / 2\nc = 2 ** 10\nd = -2 ** 2\ne = 2 ** -1\nf = 2 ** 3 ** 2')).toEqual({
      a: 0.5,
      b: 2,
      c: 1024,
      d: -4,
      e: 0.5,
      f: 512,
    })
  })

  it('applies operator precedence and unary operators', () => {
    expect(run('a = 1 + 2 * 3\nb = (1 + 2) * 3\nc = -(-3)\nd = +4\ne = 10 - 2 - 3\nf = ~5\ng = 1 << 4 | 1')).toEqual({
      a: 7,
      b: 9,
      c: 3,
      d: 4,
      e: 5,
      f: -6,
      g: 17,
    })
  })

  it('concatenates and repeats strings and lists', () => {
    expect(run(`a = 'abc' + 'def'\nb = [1, 2] + [3]\nc = [0] * 3\nd = 2 * 'ab'\ne = [1] * -1`)).toEqual({
      a: 'abcdef',
      b: [1, 2, 3],
      c: [0, 0, 0],
      d: 'abab',
      e: [],
    })
  })

  it('treats bools as ints in arithmetic', () => {
    expect(run('a = True + True\nb = False * 3')).toEqual({ a: 2, b: 0 })
  })

  it('compares, including chains, in, is and mixed int/float', () => {
    expect(
      run(
        `a = 1 < 2 <= 2\nb = 1 == 1.0\nc = 'a' in 'cat'\nd = 3 not in [1, 2]\ne = 'k' in ` +
          `{'k': 1}\nf = None is None\ng = [1, 2] < [1, 3]\nh = 2 > 3 > 1`,
      ),
    ).toEqual({ a: true, b: true, c: true, d: true, e: true, f: true, g: true, h: false })
  })

  it('short-circuits and/or returning operands, and evaluates conditional expressions', () => {
    expect(run(`a = 0 or 'x'\nb = 1 and 0\nc = not []\nd = 'y' if 1 > 2 else 'n'\ne = 0 and undefined_name`)).toEqual({
      a: 'x',
      b: 0,
      c: true,
      d: 'n',
      e: 0,
    })
  })
})

describe('evaluatePythonConfig: builtins', () => {
  it('converts with int, float, str, bool, list and tuple', () => {
    expect(
      run(
        `a = int(3.9)\nb = int(' -12 ')\nc = float('1e-3')\nd = str(2.0)\ne = ` +
          `str(1e-5)\nf = str([1, 'a', None])\ng = bool('')\nh = list('ab')\ni = tuple([1, ` +
          `2])\nj = list({'p': 1})`,
      ),
    ).toEqual({
      a: 3,
      b: -12,
      c: 0.001,
      d: '2.0',
      e: '1e-05',
      f: "[1, 'a', None]",
      g: false,
      h: ['a', 'b'],
      i: [1, 2],
      j: ['p'],
    })
  })

  it('computes len, min, max, abs, round, sum, range and sorted', () => {
    expect(
      run(
        `a = len([1, 2, 3])\nb = min(3, 1, 2)\nc = max([1, 5.5, 2])\nd = abs(-4)\ne = ` +
          `round(2.5)\nf = round(3.5)\ng = round(2.675, 2)\nh = sum([1, 2, 3])\ni = ` +
          `list(range(0, 10, 3))\nj = sorted([3, 1, 2])\nk = round(1234, -2)\nl = ` +
          `len({'a': 1})`,
      ),
    ).toEqual({ a: 3, b: 1, c: 5.5, d: 4, e: 2, f: 4, g: 2.67, h: 6, i: [0, 3, 6, 9], j: [1, 2, 3], k: 1200, l: 1 })
  })

  it('lets a variable shadow a builtin name', () => {
    expect(error('len = 3\nx = len([1])').message).toBe("'int' object is not callable")
  })
})

describe('evaluatePythonConfig: subscripts and attributes', () => {
  it('indexes, slices and reads dict keys as attributes', () => {
    const cfg = run(
      `l = [10, 20, 30, 40]\nd = dict(a=dict(b=[1, 2]))\na = l[0]\nb = l[-1]\nc = ` +
        `l[1:3]\ne = l[::-1]\nf = l[::2]\ng = d['a']['b'][1]\nh = d.a.b\ni = 'hello'[1:4]`,
    )
    expect(cfg).toMatchObject({
      a: 10,
      b: 40,
      c: [20, 30],
      e: [40, 30, 20, 10],
      f: [10, 30],
      g: 2,
      h: [1, 2],
      i: 'ell',
    })
  })

  it('assigns through subscripts on existing variables', () => {
    const cfg = run(
      `m = dict(a=1, b=dict(c=2))\nl = [1, 2, 3]\nm['a'] = 10\nm['b']['c'] = ` +
        `20\nm['new'] = 'n'\nl[0] = 0\nl[-1] = 9\nm['b']['c'] += 1`,
    )
    expect(cfg).toEqual({ m: { a: 10, b: { c: 21 }, new: 'n' }, l: [0, 2, 9] })
  })

  it('supports augmented assignment', () => {
    expect(run('a = 1\na += 2\nb = [1]\nb += [2]\nc = 10\nc -= 4\nc *= 2\nc /= 4\nd = 7\nd //= 2')).toEqual({
      a: 3,
      b: [1, 2],
      c: 3,
      d: 3,
    })
  })

  it('does not alias: changing a copy leaves the original alone', () => {
    const cfg = run(
      `a = dict(x=dict(y=1))\nb = a\nb['x']['y'] = 2\nc = [a, a]\nc[0]['x']['y'] = 3\nd = [[0]] * 2\nd[0][0] = 1`,
    )
    expect(cfg.a).toEqual({ x: { y: 1 } })
    expect(cfg.b).toEqual({ x: { y: 2 } })
    expect(cfg.c).toEqual([{ x: { y: 3 } }, { x: { y: 1 } }])
    expect(cfg.d).toEqual([[1], [0]])
  })

  it('does not alias chained assignment', () => {
    const cfg = run(`a = b = [1]\na[0] = 2`)
    expect(cfg).toEqual({ a: [2], b: [1] })
  })
})

describe('evaluatePythonConfig: base configs', () => {
  const base: Base = {
    train_dataloader: { batch_size: 32, dataset: { type: 'ImageNet', pipeline: [{ type: 'Load' }] } },
    model: { backbone: { depth: 50 } },
    lr: 0.1,
  }

  it('reads _base_.a.b references', () => {
    const cfg = run(
      `bs = _base_.train_dataloader.batch_size * 2\nds = _base_.train_dataloader.dataset\nlr = _base_['lr'] / 10`,
      { base },
    )
    expect(cfg).toEqual({ bs: 64, ds: { type: 'ImageNet', pipeline: [{ type: 'Load' }] }, lr: 0.01 })
  })

  it('substitutes {{_base_.x}} with the repr of the base value', () => {
    const cfg = run(
      `depth = {{_base_.model.backbone.depth}}\nbb = {{ _base_.model.backbone }}\nname ` +
        `= {{_base_.train_dataloader.dataset.type}}\nquoted = '{{_base_.lr}}'\nfirst = ` +
        `{{_base_.train_dataloader.dataset.pipeline.0}}`,
      { base },
    )
    expect(cfg).toEqual({ depth: 50, bb: { depth: 50 }, name: 'ImageNet', quoted: 0.1, first: { type: 'Load' } })
  })

  it('does not let the file change the caller’s base', () => {
    const copy = structuredClone(base)
    run(`x = _base_.model\nx['backbone']['depth'] = 101`, { base })
    expect(base).toEqual(copy)
    expect(error(`_base_.model['backbone'] = 1`, { base }).message).toContain("cannot modify '_base_'")
  })

  it('reports a missing base key and a missing base', () => {
    expect(error('a = 1\nx = {{_base_.model.neck}}', { base })).toMatchObject({ line: 2, column: 5 })
    expect(error('x = {{_base_.model.neck}}', { base }).message).toContain("'neck' not found")
    expect(error('x = _base_.lr').message).toContain("name '_base_' is not defined")
    expect(error('x = _base_.nope', { base }).message).toBe("'dict' object has no attribute 'nope'")
  })

  it('substitutes the predefined file variables', () => {
    const cfg = run(
      `work_dir = './work_dirs/{{ fileBasenameNoExtension }}'\next = '{{fileExtname}}'\ndir = '{{ fileDirname }}'`,
      {
        fileName: 'configs/simsiam/simsiam_r50.py',
      },
    )
    expect(cfg).toEqual({ work_dir: './work_dirs/simsiam_r50', ext: '.py', dir: 'configs/simsiam' })
  })

  it('skips mmengine.config imports and with read_base() blocks', () => {
    const cfg = run(
      `from mmengine.config import read_base\n\nwith read_base():\n    from ` +
        `.._base_.models.simsiam import *\n    from .._base_.default_runtime import ` +
        `*\n\nlr = 0.1`,
    )
    expect(cfg).toEqual({ lr: 0.1 })
  })
})

describe('evaluatePythonConfig: errors', () => {
  it('reports an unexpected token with its position', () => {
    expect(error('a = 1\nb = (1, 2))')).toEqual({ line: 2, column: 11, message: "unmatched ')'" })
    expect(error('a = 1\nb = dict(a=1 b=2)')).toEqual({ line: 2, column: 14, message: "unexpected token 'b'" })
    expect(error('a = [1, 2)').message).toBe("closing parenthesis ')' does not match opening parenthesis '['")
  })

  it('reports a missing closing bracket at the opening bracket', () => {
    expect(error(`a = 1\nmodel = dict(\n    type='X',\n    depth=50\nb = 2\n`)).toEqual({
      line: 2,
      column: 13,
      message: "'(' was never closed",
    })
  })

  it('reports undefined names', () => {
    expect(error('a = 1\nb = foo + a')).toEqual({ line: 2, column: 5, message: "name 'foo' is not defined" })
    expect(error('x = dict(type=ResNet)').message).toBe("name 'ResNet' is not defined")
  })

  it('reports unsupported operand types', () => {
    expect(error('x = {} + 1')).toEqual({
      line: 1,
      column: 8,
      message: 'unsupported operand types for +: dict and int',
    })
    expect(error("x = 'a' - 'b'").message).toBe('unsupported operand types for -: str and str')
    expect(error('x = [1] * 1.5').message).toBe("can't multiply sequence by non-int of type 'float'")
  })

  it('reports division by zero for /, // and %', () => {
    expect(error('x = 1 / 0')).toEqual({ line: 1, column: 7, message: 'division by zero' })
    expect(error('x = 1 // 0').message).toBe('division by zero')
    expect(error('x = 1.5 % 0').message).toBe('division by zero')
  })

  it('rejects control flow, definitions and lambdas, naming the line', () => {
    for (const [src, word] of [
      ['a = 1\nfor i in [1]:\n    pass', 'for'],
      ['a = 1\ndef f():\n    return 1', 'def'],
      ['a = 1\nclass A:\n    pass', 'class'],
      ['a = 1\nwhile a:\n    pass', 'while'],
    ] as const) {
      const e = error(src)
      expect(e.line).toBe(2)
      expect(e.message).toBe(`not supported in a literal config: '${word}' statement`)
    }
    expect(error('a = 1\nf = lambda x: x')).toEqual({
      line: 2,
      column: 5,
      message: 'not supported in a literal config: lambda',
    })
  })

  it('rejects imports other than mmengine.config', () => {
    expect(error('import torch')).toEqual({
      line: 1,
      column: 1,
      message: "imports are not supported in a literal config: 'torch'",
    })
    expect(error('x = 1\nfrom mmcls.models import ResNet').message).toBe(
      "imports are not supported in a literal config: 'mmcls.models'",
    )
  })

  it('rejects set literals and async comprehensions', () => {
    expect(error('x = {1, 2}').message).toBe('set literals are not supported in a literal config')
    expect(error('x = [i async for i in y]').message).toBe('async comprehensions are not supported in a literal config')
  })

  it('rejects attribute assignment and tuple unpacking', () => {
    expect(error('m = dict(a=1)\nm.a = 2')).toMatchObject({ line: 2, column: 1 })
    expect(error('m = dict(a=1)\nm.a = 2').message).toContain('attribute assignment is not supported')
    expect(error('a, b = 1, 2').message).toBe('tuple unpacking is not supported in a literal config')
  })

  it('reports bad subscripts', () => {
    expect(error('l = [1]\nx = l[3]')).toEqual({ line: 2, column: 6, message: 'list index out of range' })
    expect(error("d = {}\nx = d['k']").message).toBe("key 'k' not found")
    expect(error('l = [1]\nl[5] = 0').message).toBe('list assignment index out of range')
    expect(error("s = 'ab'\ns[0] = 'c'").message).toBe("'str' object does not support item assignment")
    expect(error('x = 1\nx[0] = 1').message).toBe("'int' object does not support item assignment")
  })

  it('reports unterminated strings, unexpected indents and bad characters', () => {
    expect(error("a = 1\nx = 'abc\n")).toEqual({ line: 2, column: 5, message: 'unterminated string literal' })
    expect(error('x = """abc')).toMatchObject({ line: 1, message: 'unterminated triple-quoted string literal' })
    expect(error('a = 1\n  b = 2')).toEqual({ line: 2, column: 3, message: 'unexpected indent' })
    expect(error('x = 1 $ 2').message).toBe("invalid character '$'")
    expect(error('x = 012').message).toContain('leading zeros')
  })

  it('reports a wrongly typed _base_', () => {
    expect(error('_base_ = 1').message).toBe('_base_ must be a string or a list of strings, not int')
  })

  it('never throws, even on pathological input', () => {
    expect(evaluatePythonConfig(`x = ${'('.repeat(5000)}1${')'.repeat(5000)}`)._tag).toBe('Left')
    expect(evaluatePythonConfig('x = [0] * 10 ** 12')._tag).toBe('Left')
    expect(evaluatePythonConfig('x = 2 ** 100000')._tag).toBe('Left')
  })
})

describe('readPythonBaseList', () => {
  it('reads a single string', () => {
    expect(readPythonBaseList("_base_ = '../_base_/default_runtime.py'\nlr = 0.1")).toEqual({
      _tag: 'Right',
      right: ['../_base_/default_runtime.py'],
    })
  })

  it('reads a list (and a tuple) of strings', () => {
    expect(readPythonBaseList(SIMSIAM)).toEqual({
      _tag: 'Right',
      right: ['../_base_/models/simsiam.py', '../_base_/default_runtime.py'],
    })
    expect(readPythonBaseList("_base_ = ('a.py', 'b.py',)")).toEqual({ _tag: 'Right', right: ['a.py', 'b.py'] })
  })

  it('returns [] when _base_ is absent', () => {
    expect(readPythonBaseList('lr = 0.1\nmodel = dict(type="X")')).toEqual({ _tag: 'Right', right: [] })
  })

  it('finds _base_ in a file with unsupported statements elsewhere', () => {
    const source =
      `import torch\n_base_ = [\n    'a.py',\n    'b.py',\n]\nif ` +
      `torch.cuda.is_available():\n    _base_ = 'ignored.py'\nname = ` +
      `f'{torch.__version__}'\nmodel = [x for x in range(3)]\n`
    expect(readPythonBaseList(source)).toEqual({ _tag: 'Right', right: ['a.py', 'b.py'] })
    expect(evaluatePythonConfig(source)._tag).toBe('Left')
  })

  it('reports a non-literal or mistyped _base_', () => {
    const left = readPythonBaseList("x = 1\n_base_ = [root + 'a.py']")
    expect(left).toEqual({ _tag: 'Left', left: { line: 2, column: 11, message: "name 'root' is not defined" } })
    expect(readPythonBaseList('_base_ = [1]')._tag).toBe('Left')
  })
})
