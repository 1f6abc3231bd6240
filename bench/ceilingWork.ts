/** The arithmetic of the machine-ceiling measurement: `units` passes over 1,024 floats that stay in L1. */
const values = new Float64Array(1024).map((_, i) => 1 + i / 1024)

export const arithmetic = (units: number): number => {
  let sum = 0
  for (let u = 0; u < units; u++) for (let i = 0; i < values.length; i++) sum += values[i]! * 1.000001
  return sum
}
