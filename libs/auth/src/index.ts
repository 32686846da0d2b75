// Authentication providers and the permission model (SPEC §7).
export * from './api-keys.js';
