/**
 * `rate ** k` for an integer `k`, correctly rounded, as CPython gets it from
 * glibc's `pow` (which is correctly rounded in all but rare cases). V8's `**`
 * is not: it differs from CPython in the last bit for about one case in ten
 * (e.g. `0.03 ** 10`), which would show in layer-decay learning rates.
 * @module
 */

const view = new DataView(new ArrayBuffer(8))

/** `x = mantissa · 2^exponent` exactly, for a finite `x > 0`. */
const decompose = (x: number): { readonly mantissa: bigint; readonly exponent: number } => {
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const biased = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  return biased === 0
    ? { mantissa: fraction, exponent: -1074 }
    : { mantissa: fraction | (1n << 52n), exponent: biased - 1075 }
}

/** `2^e` for a normal exponent, built from its bits (exact). */
const pow2 = (e: number): number => {
  view.setBigUint64(0, BigInt(e + 1023) << 52n)
  return view.getFloat64(0)
}

/** `m · 2^e` for an integer `m ≤ 2^53` whose product is representable (or overflows to ∞). */
const ldexp = (m: number, e: number): number => {
  let x = m
  let rest = e
  while (rest > 1000) {
    x *= pow2(1000)
    rest -= 1000
  }
  while (rest < -1000) {
    x *= pow2(-1000)
    rest += 1000
  }
  return x * pow2(rest)
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length)

/** The double nearest to `p / q · 2^k` (ties to even), for `p, q > 0`. */
const nearest = (p: bigint, q: bigint, k: number): number => {
  // Scale so that the quotient has 54–55 bits: enough for 53 plus a rounding bit.
  const s = 54 - (bitLength(p) - bitLength(q))
  const num = s >= 0 ? p << BigInt(s) : p
  const den = s >= 0 ? q : q << BigInt(-s)
  const n = num / den
  const sticky = num % den !== 0n
  const length = bitLength(n)
  const top = length - 1 + k - s // exponent of the leading bit
  const bits = top >= -1022 ? 53 : 53 - (-1022 - top) // fewer bits for subnormals
  const drop = length - bits
  const kept = n >> BigInt(drop)
  const rest = n - (kept << BigInt(drop))
  const half = 1n << BigInt(drop - 1)
  const up = rest > half || (rest === half && (sticky || (kept & 1n) === 1n))
  return ldexp(Number(kept + (up ? 1n : 0n)), k - s + drop)
}

/**
 * `base ** exponent` with Python float semantics; exact rounding for integer
 * exponents (the layer-decay case), `**` otherwise.
 *
 * @example
 * ```ts
 * powInt(0.03, 10) // 5.904899999999998e-16, as Python prints 0.03 ** 10
 * ```
 */
export const powInt = (base: number, exponent: number): number => {
  if (!Number.isInteger(exponent) || !Number.isFinite(base) || base === 0 || Math.abs(exponent) > 4096)
    return base ** exponent
  if (exponent === 0) return 1
  const negative = base < 0 && exponent % 2 !== 0
  const { mantissa, exponent: e } = decompose(Math.abs(base))
  const power = mantissa ** BigInt(Math.abs(exponent))
  const magnitude = exponent > 0 ? nearest(power, 1n, e * exponent) : nearest(1n, power, -e * -exponent)
  return negative ? -magnitude : magnitude
}
