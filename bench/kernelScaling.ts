/**
 * How each kind of work in the MLP's data-parallel step scales from one
 * thread to two on this machine (issue 15): the forward product, the weight
 * gradient's product, the fused Adam update and the exchange's copies
 * (`kernelScalingCases.ts`), each repeated for a fixed time by one thread,
 * then by two at once (each on its own data, started at the same barrier).
 * Scaling = the two threads' repetitions per second together over one
 * thread's: 2 where each thread has a core to itself and nothing it needs is
 * shared. The data-parallel step cannot scale better than the mix of its
 * kinds of work does, whatever the exchange costs.
 */
import { threadReplies } from './ceiling.js'
import { kernelCases } from './kernelScalingCases.js'

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

type Reply = { perSecond: { [name: string]: number } }

/** Per kind of work, the median over `rounds` of two threads' throughput over one thread's. */
export const kernelScaling = async (rounds: number, ms = 1000): Promise<Map<string, number>> => {
  const ratios = new Map<string, number[]>(kernelCases.map(({ name }) => [name, []]))
  for (let r = 0; r < rounds; r++) {
    const [one] = await threadReplies<Reply>('kernelScalingWorker', 1, { ms })
    const two = await threadReplies<Reply>('kernelScalingWorker', 2, { ms })
    for (const [name, list] of ratios)
      list.push(two.reduce((sum, reply) => sum + reply.perSecond[name]!, 0) / one!.perSecond[name]!)
  }
  return new Map([...ratios].map(([name, list]) => [name, median(list)]))
}

export const printKernelScaling = async (rounds: number): Promise<void> => {
  console.log(`Two threads against one, each kind of the MLP step's work alone (median of ${rounds} rounds):`)
  for (const [name, ratio] of await kernelScaling(rounds)) console.log(`  ${name.padEnd(56)} ×${ratio.toFixed(2)}`)
}

if (import.meta.url === `file://${process.argv[1]}`) await printKernelScaling(Number(process.argv[2] ?? 5))
