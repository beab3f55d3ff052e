/**
 * The configuration file shared by `feeds pull` and `tail`: schema, loading
 * and validation messages naming the key and its line.
 */
export { loadConfig, parseConfig, defaultStateDir, formatKeyPath, type LoadedConfig } from './load.js';
export * from './schema.js';
export { parseDurationMs, parseShare, parseSize, formatDuration } from './duration.js';
