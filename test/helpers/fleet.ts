/** The project id of the committed sample events. */
export const SAMPLE_PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const OTHER_PROJECT = 'f9e8d7c6b5a4938271605f4e3d2c1b0a';
/** Allowed by nobody: for 403 tests. */
export const FOREIGN_PROJECT = '11111111111111111111111111111111';
