export { selectBackend, listBackends, BACKEND_ORDER } from './backends.js';
export type {
  BackendName,
  BackendPreference,
  BackendReport,
  BackendAvailability,
  SelectOptions,
} from './backends.js';
export { AdamW, ADAMW_DEFAULTS, globalNormClip } from './adamw.js';
export type { AdamWOptions } from './adamw.js';
export { decays, noDecayKinds } from './param-groups.js';
export type { NoDecayKind } from './param-groups.js';
export { lrFactor, learningRate } from './schedule.js';
export type { ScheduleConfig, ScheduleKind, FloorMode } from './schedule.js';
