export * from './probes.module.js';
