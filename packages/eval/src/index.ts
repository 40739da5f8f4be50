/**
 * @procpt/eval — what the study measures: the paper's diagnostic tasks (needle-in-a-haystack, addition,
 * reversed addition, multiplication, sort) with their masks and scoring quirks, semantic metrics, seed
 * statistics, tables and SVG plots.
 */
export {
  ARITHMETIC_TOKENS,
  DIAGNOSTIC_TASK_NAMES,
  additionTask,
  diagnosticTask,
  haystackTask,
  isDiagnosticTaskName,
  multiplicationTask,
  reversedAdditionTask,
  sortTask,
} from './tasks/index.js';
export type { DiagnosticTask, DiagnosticTaskName } from './tasks/index.js';
export { DiagnosticDataset, PAPER_TEST_SIZE, packRows } from './diagnostic-data.js';
export type { DiagnosticDatasetOptions } from './diagnostic-data.js';
export { DiagnosticScorer } from './scoring.js';
export type { DiagnosticScore } from './scoring.js';
export { evaluateDiagnostic, teacherForced } from './diagnostic-eval.js';
export type { EvaluateDiagnosticOptions, ForwardModel } from './diagnostic-eval.js';
export { normalDraw, seededRandom } from './rng.js';
export type { RandomSource } from './rng.js';
export { validationLoss } from './semantic.js';
export type { EvaluateModel, ValidationLoss, ValidationLossOptions } from './semantic.js';
export { mathAccuracy, packProblems } from './dmmath.js';
export type {
  MathAccuracy,
  MathAccuracyOptions,
  MathProblem,
  PlacedProblem,
  ProblemAccuracy,
} from './dmmath.js';
export { tokensToLoss, tokensToTarget } from './efficiency.js';
export type { CurvePoint, DataEfficiency } from './efficiency.js';
export {
  bootstrapCi,
  mean,
  pairedDifference,
  quantileSorted,
  standardDeviation,
  summarize,
} from './stats.js';
export type { BootstrapOptions, PairedDifference, SeedSummary, SeedValue } from './stats.js';
export {
  METRICS_FILE,
  RUN_SUMMARY_FILE,
  parseMetricsJsonl,
  parseRunSummary,
  readRunDir,
} from './run-summary.js';
export type { RunCurvePoint, RunSummary } from './run-summary.js';
export {
  assemblyTable,
  buildTable,
  configLabel,
  csvField,
  isBaseline,
  proceduralTypeTable,
  tableToCsv,
  tableToMarkdown,
  transferTable,
} from './tables.js';
export type { Table, TableCell, TableOptions } from './tables.js';
export { dataEfficiencyTable, dataEfficiencyToCsv, dataEfficiencyToMarkdown } from './data-efficiency.js';
export type { DataEfficiencyRow } from './data-efficiency.js';
export { barChartSvg, dataEfficiencySvg, learningCurvesSvg, renderSvg, tableBars } from './plots.js';
export type { BarDatum, CurveSeries, PlotLabels } from './plots.js';
export { aggregateRunDirs, aggregateRuns } from './aggregate.js';
export type { AggregateOptions, AggregateReport } from './aggregate.js';
export { warmupAccuracy, warmupMetric, warmupScoredTargets } from './warmup-accuracy.js';
export type { WarmupAccuracy, WarmupAccuracyOptions, WarmupMetric } from './warmup-accuracy.js';
