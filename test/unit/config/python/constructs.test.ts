import { describe, expect, it } from 'vitest'
import { evaluatePythonConfig, type PyValue } from '../../../../src/config/python/index.js'

type Base = { readonly [k: string]: PyValue }

const run = (source: string, base?: Base): { readonly [k: string]: PyValue } => {
  const result = evaluatePythonConfig(source, base === undefined ? {} : { base })
  if (result._tag === 'Left')
    throw new Error(`expected Right, got ${result.left.line}:${result.left.column} ${result.left.message}`)
  return result.right
}
const value = (expression: string, prelude = ''): PyValue => run(`${prelude}\nx = ${expression}`).x ?? null
const error = (source: string, base?: Base): string => {
  const result = evaluatePythonConfig(source, base === undefined ? {} : { base })
  if (result._tag === 'Right') throw new Error(`expected Left, got ${JSON.stringify(result.right)}`)
  return `${result.left.line}:${result.left.column} ${result.left.message}`
}

describe('comprehensions', () => {
  it('builds lists, dicts and (eager) generators with nested clauses and filters', () => {
    expect(value('[round(v * 255) for v in mean]', 'mean = [0.485, 0.456, 0.406]')).toEqual([124, 116, 104])
    expect(value('[i * j for i in range(3) if i for j in range(i)]')).toEqual([0, 0, 2])
    expect(value("{k: v * 2 for k, v in dict(a=1, b=2).items() if k != 'b'}")).toEqual({ a: 2 })
    expect(value('sum(i for i in range(5))')).toBe(10)
    expect(value('[(a, b) for (a, b) in [[1, 2], [3, 4]]]')).toEqual([
      [1, 2],
      [3, 4],
    ])
  })

  it('keeps its variables local and lets them shadow builtins', () => {
    expect(run('i = 7\nx = [i for i in range(2)]')).toEqual({ i: 7, x: [0, 1] })
    expect(value('[str for str in range(2)]')).toEqual([0, 1])
    expect(error('x = [i for i in range(2)]\ny = i')).toBe("2:5 name 'i' is not defined")
  })

  it('reports a bad unpacking at the clause', () => {
    expect(error('x = [a for a, b in [[1, 2, 3]]]')).toBe('1:8 cannot unpack 3 values into 2 names')
  })
})

describe('if statements', () => {
  const branch = (flag: string): PyValue =>
    run(
      `flag = ${flag}\npipeline = [1]\nif flag == 1:\n    pipeline.append(2)\nelif ` +
        `flag == 2:\n    pipeline = []\nelse:\n    pipeline.extend([3, 4])\n    y = 0`,
    ).pipeline ?? null

  it('runs the first branch whose test holds', () => {
    expect(branch('1')).toEqual([1, 2])
    expect(branch('2')).toEqual([])
    expect(branch('3')).toEqual([1, 3, 4])
  })

  it('accepts a body on the header line and nested blocks', () => {
    expect(run('a = 1\nif a: b = 2\nif a:\n  if not a:\n    c = 1\n  else:\n    c = 2\n')).toEqual({ a: 1, b: 2, c: 2 })
  })

  it('needs an indented block with consistent indentation', () => {
    expect(error('if 1:\nx = 1')).toBe('2:1 expected an indented block')
    expect(error('if 1:\n    x = 1\n  y = 2')).toBe('3:3 unindent does not match any outer indentation level')
  })
})

describe('methods of str, list and dict', () => {
  it('mutates the variable it is called on, and nothing else', () => {
    expect(run('a = [1]\nb = a\na.extend([2, 3])\na.append(4)\na.insert(0, 0)')).toEqual({ a: [0, 1, 2, 3, 4], b: [1] })
    expect(run("d = dict(a=1)\nd.update(b=2)\nv = d.pop('a')\nd.setdefault('c', [])")).toEqual({
      d: { b: 2, c: [] },
      v: 1,
    })
  })

  it('reads without aliasing', () => {
    expect(run("d = dict(a=[1])\ng = d.get('a')\ng.append(2)\nm = d.get('z', 5)")).toEqual({
      d: { a: [1] },
      g: [1, 2],
      m: 5,
    })
    expect(value('dict(a=1, b=2).keys()')).toEqual(['a', 'b'])
  })

  it('formats and edits strings', () => {
    expect(value("'{}x{}'.format(224, 224)")).toBe('224x224')
    expect(value("'{name}-{0:03d}'.format(7, name='run')")).toBe('run-007')
    expect(value("'a_b_c'.replace('_', '-', 1).upper()")).toBe('A-B_C')
    expect(value("'/'.join('a/b/c'.split('/')[:2])")).toBe('a/b')
    expect(value("'  x '.strip() + 'ab'.zfill(4)")).toBe('x00ab')
    expect(value("'resnet50_8xb32'.startswith(('vit', 'resnet'))")).toBe(true)
  })

  it('prefers a dict key over a method of the same name, as ConfigDict does', () => {
    expect(error("d = dict(get=1)\nx = d.get('a')")).toBe("2:7 'int' object is not callable")
  })

  it('refuses to change _base_ and names unknown methods', () => {
    expect(error('_base_.p.append(1)', { p: [1] })).toBe("1:10 cannot modify '_base_' in a literal config")
    expect(run('x = _base_.p.copy()\nx.append(2)', { p: [1] })).toEqual({ x: [1, 2] })
    expect(error('x = [1].frobnicate()')).toBe(
      "1:9 'list' object has no attribute 'frobnicate' (or it is not supported in a config)",
    )
  })
})

describe('f-strings', () => {
  it('substitutes expressions with conversions and format specs', () => {
    expect(value("f'{n}xb{bs}-{lr:.1e}-{r!r}-{{x}}'", "n = 8\nbs = 32\nlr = 0.00015\nr = 'a'")).toBe(
      "8xb32-1.5e-04-'a'-{x}",
    )
    expect(value("f'{x:>6.2f}|{y:<4}|{z:,}|{w:.0%}'", 'x = 3.14159\ny = 7\nz = 1281167\nw = 0.25')).toBe(
      '  3.14|7   |1,281,167|25%',
    )
    expect(value("'data/' f'{split}' '.txt'", "split = 'train'")).toBe('data/train.txt')
    expect(value('f\'{d["k"]}\'', "d = dict(k='v')")).toBe('v')
  })

  it('reports malformed fields', () => {
    expect(error("x = f'{}'")).toBe('1:5 f-string: empty expression not allowed')
    expect(error("x = f'{1:q}'")).toBe("1:5 invalid format specifier 'q'")
  })
})
