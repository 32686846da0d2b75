export * from './admin-api.module.js';
export * from './admin.errors.js';
export * from './admin-auth.js';
