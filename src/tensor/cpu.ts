/**
 * The reference backend: tfjs's pure-JS CPU backend, always available.
 * (Backend selection across wasm, WebGPU and tfjs-node arrives with the
 * tensor layer; until then everything runs here.)
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'

/**
 * Select the CPU backend. `PROD` turns off tfjs's debug checks and its
 * "install tfjs-node" banner, which would otherwise print on first use.
 */
export const useCpu = async (): Promise<void> => {
  tf.env().set('PROD', true)
  await tf.setBackend('cpu')
  await tf.ready()
}
