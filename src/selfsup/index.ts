/**
 * MMSelfSup's algorithms and components, as the public API groups them.
 * @module
 */
export { allModelTypes, algorithmTypes } from './algorithms/registry.js'
export { allModelDescriptions } from './algorithms/algorithmDescriptions.js'
export type { Algorithm, LossContext, LossResult } from './algorithms/Algorithm.js'
export { asModel } from './algorithms/Algorithm.js'
export { defaultComponentTypes } from './components.js'
export type { ComponentType } from './registry.js'
export type { Component, Neck, LossComponent, ComponentContext } from './Component.js'
export { defaultBackboneTypes } from './backbones/registry.js'
export type { Backbone, BackboneType } from './backbones/Backbone.js'
export * as ODCMemory from './memories/ODCMemory.js'
export { clusterFileName, decodeLabels, encodeLabels } from './clusterFile.js'
