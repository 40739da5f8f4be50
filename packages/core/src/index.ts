export { ProcptError, isProcptError, assertConfig, formatValue, toProcptError } from './errors.js';
export type { ProcptErrorCode, ProcptErrorOptions } from './errors.js';
export {
  writeFileAtomic,
  writeDirAtomic,
  writeJsonAtomic,
  createAtomicWriteStream,
  tempPathFor,
} from './atomic.js';
export type { AtomicWriteStream, AtomicWriteOptions, AtomicStep } from './atomic.js';
export {
  prepareOutput,
  ensureDir,
  fsError,
  recoverOutputsSync,
  isProcessAlive,
  systemRootOf,
  SYSTEM_ROOTS,
} from './output.js';
export type { OutputKind, OutputOptions, PreparedOutput, RecoveryReport } from './output.js';
export { acquireFolderLock, readLockHolder, LOCK_FILE } from './lock.js';
export type { FolderLock, LockHolder, LockOptions } from './lock.js';
export { installSignalCleanup, onInterrupt, trackTemp, cleanupNowSync } from './cleanup.js';
export type { Signal, SignalCleanupOptions } from './cleanup.js';
export { Progress, formatCount, formatDuration } from './progress.js';
export type { ProgressOptions, ProgressState } from './progress.js';
export { checkBatch } from './data.js';
export type { Sample, Batch, DataCursor, DataSpec, DataSource, BatchOptions, CursorBatch } from './data.js';
export {
  LIMITS,
  GZIP_RATIO_FLOOR_BYTES,
  checkLimit,
  formatBytes,
  limitBytes,
  limitValue,
  raiseHint,
  readFileLimited,
  readTextFileLimited,
} from './limits.js';
export type { CheckLimitOptions, LimitDefinition, LimitName, ReadLimitedOptions } from './limits.js';
export { parseDecimal, parseIntegerText, parseNumberText } from './numbers.js';
export type { NumberBounds } from './numbers.js';
export { readLinesLimited } from './lines.js';
export type { ReadLinesOptions, TextLine } from './lines.js';
