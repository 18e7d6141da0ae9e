import type { ReportStore } from './store';

/**
 * The S3 store, its module (and the S3 client) loaded on the first call: functions that never
 * write a report pay nothing for it at cold start.
 */
export function lazyS3ReportStore(options: { bucket: string; forcePathStyle: boolean }): ReportStore {
  let store: Promise<ReportStore> | undefined;
  const get = () => (store ??= import('./s3-store').then((m) => m.createS3ReportStore(options)));
  return {
    putPart: async (part, deadline) => (await get()).putPart(part, deadline),
    readParts: async (deadline) => (await get()).readParts(deadline),
    readTrend: async (deadline) => (await get()).readTrend(deadline),
    putTrend: async (text, deadline) => (await get()).putTrend(text, deadline),
    putReport: async (files, generatedAt, deadline) => (await get()).putReport(files, generatedAt, deadline),
  };
}
