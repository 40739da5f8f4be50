/**
 * @procpt/study (private) — the reference app: the paper's experiments as resumable plans of runs
 * (warm-up → transfer → fine-tune → evaluate) composed from the public procpt packages, and a report
 * that puts every reproduced number next to the paper's.
 */
export { EXPERIMENTS, parseExperiments, planStudy } from './plan/index.js';
export type { ExperimentName, PlannedRun, ResultLabels, StudyPlan } from './plan/index.js';
export { generatorSpec, proceduralData, sourceLabel } from './procedural.js';
export type { ProceduralData, ProceduralSource } from './procedural.js';
export { executeRun, executeSavedRun, runStudy } from './execute.js';
export type { ExecuteOptions, StudyOutcome } from './execute.js';
export { estimatePlan } from './estimate.js';
export type { PlanEstimate, RunEstimate } from './estimate.js';
export { MANIFEST_FILE, readManifest } from './manifest.js';
export type { StudyManifest } from './manifest.js';
export {
  STUDY_CONFIG_FILE,
  STUDY_RUN_FILE,
  WARMUP_FILE,
  markerPath,
  runStatus,
} from './run-state.js';
export type { RunStatus, StudyRunRecord, WarmupRecord } from './run-state.js';
export { collectResults, pretrainingLabel, studyJson, summarizeRows } from './results.js';
export type { DiagnosticRow, StudyJson, StudyResults } from './results.js';
export { buildReport, writeReport } from './report.js';
export { escapeHtml, renderHtml, renderMarkdown } from './render.js';
export type { Block } from './render.js';
