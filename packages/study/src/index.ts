/**
 * @procpt/study (private) — the reference app: the paper's experiments as resumable plans of runs
 * (warm-up → transfer → fine-tune → evaluate) composed from the public procpt packages, and a report
 * that puts every reproduced number next to the paper's.
 */
export { EXPERIMENTS, parseExperiments, planStudy } from './plan/index.js';
export type { ExperimentName, PlannedRun, ResultLabels, StudyPlan } from './plan/index.js';
export { generatorSpec, proceduralData, sourceLabel } from './procedural.js';
export type { ProceduralData, ProceduralSource } from './procedural.js';
export { executeRun, executeSavedRun, runStudy, writeStudyPlan } from './execute.js';
export type { ExecuteOptions, ExecuteRunOptions, StudyOutcome, WritePlanOptions } from './execute.js';
export { estimatePlan } from './estimate.js';
export type { PlanEstimate, RunEstimate } from './estimate.js';
export { MANIFEST_FILE, readManifest } from './manifest.js';
export type { StudyManifest } from './manifest.js';
export { STUDY_CONFIG_FILE, STUDY_RUN_FILE } from './run-state.js';
export type { StudyRunRecord, WarmupRecord } from './run-state.js';
export {
  PLAN_FILE,
  RESULT_FILE,
  WARMUP_FILE,
  assertDepsComplete,
  claimNextRun,
  claimSavedRun,
  dispatchStatus,
  markerPath,
  planDispatch,
  readSavedPlan,
  runStatus,
  shellQuote,
  tryClaimRun,
  waitingFor,
} from './status.js';
export type {
  ClaimAttempt,
  ClaimOptions,
  ClaimedRun,
  DispatchEntry,
  DispatchOptions,
  DispatchStatus,
  NextRun,
  RunStatus,
} from './status.js';
export { workSavedPlan } from './worker.js';
export type { WorkOptions, WorkOutcome } from './worker.js';
export { collectResults, pretrainingLabel, studyJson, summarizeRows } from './results.js';
export type { DiagnosticRow, StudyJson, StudyResults } from './results.js';
export { buildReport, writeReport } from './report.js';
export { escapeHtml, renderHtml, renderMarkdown } from './render.js';
export type { Block } from './render.js';
