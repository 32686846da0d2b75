// Authentication providers and the permission model (SPEC §7).
export * from './api-keys.js';
export * from './auth.types.js';
export * from './auth-config.js';
export * from './authenticator.js';
export * from './core-db-auth-store.js';
export { JwtProvider, type JwtKeySource, type JwtProviderOptions } from './jwt-provider.js';
export { Secret, cookieValue, headerValue } from './request-headers.js';
export * from './memory-auth-store.js';
export * from './policy.js';
