/**
 * Live feed sources (OTX, MISP, TAXII 2.1, URL lists): the owner module of
 * `src/sources/`. `feeds pull` and `tail` use {@link pullSource} /
 * {@link pullSources}; `feeds status` reads {@link readState}.
 */
export { pullSource, pullSources, selectSources, feedPathOf, nextDue, dueSources, cleanTemporaries, type PullOptions, type PullResult } from './puller.js';
export { readState, statePath, type SourceState } from './state-store.js';
export { writeFileAtomic, AtomicFile } from '../fs/atomic-file.js';
export { parseRetryAfter } from './retry-after.js';
export { HttpClient, type HttpRequest, type HttpResponse } from './http.js';
export { Redactor, describeSecretRef } from './secrets.js';
export { TAXII_MEDIA_TYPE } from './taxii.js';
