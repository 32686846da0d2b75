export * from './bootstrap.js';
export * from './logger.module.js';
