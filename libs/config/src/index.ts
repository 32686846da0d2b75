export * from './muninn-config.js';
export * from './parsers.js';
export * from './variables.js';
export * from './load-config.js';
export * from './config.module.js';
export * from './env-file.js';
export * from './version.js';
