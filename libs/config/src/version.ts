/** Muninn's version, reported to peers and in `cluster { version }`; a unit test keeps it equal to package.json. */
export const MUNINN_VERSION = '0.1.0';
