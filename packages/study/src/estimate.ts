import { flopsPerToken, gptConfig } from '@procpt/model';
import { type BackendPreference, benchTrain, measureMatmulFlops, selectBackend } from '@procpt/trainer-gpu';
import type { PlannedRun, StudyPlan } from './plan/index.js';
import { runStatus } from './run-state.js';

/** The estimated cost of one run. */
export interface RunEstimate {
  id: string;
  status: string;
  tokens: number;
  /** Training FLOPs (6N + attention per token) plus evaluation forward passes. */
  flops: number;
  seconds: number;
}

/** The estimated cost of a plan on one backend. */
export interface PlanEstimate {
  backend: string;
  runs: RunEstimate[];
  /** Over runs not yet complete. */
  flops: number;
  seconds: number;
  /** How the times were estimated. */
  method: string;
}

// A step above this many FLOPs is not measured (it could take minutes); its time comes from the
// backend's measured matmul rate at an assumed utilisation instead.
const MEASURE_LIMIT_FLOPS = 2e10;
const ASSUMED_UTILISATION = 0.3;

function rowBatch(run: PlannedRun): number {
  const data = run.config.data as { batchSize: number; accumulation?: number };
  return data.batchSize * (data.accumulation ?? 1);
}

function perToken(run: PlannedRun): number {
  const s = run.shape;
  return flopsPerToken(gptConfig(s.size, { vocabSize: s.vocabSize, nPositions: s.nPositions }), s.length - 1);
}

// Evaluation: forward passes (a third of a training step's cost per token) over the eval rows each time.
function evalTokens(run: PlannedRun): number {
  const steps = Number(run.config.steps);
  const ev = run.config.eval as { every: number; batches: number };
  const times = Math.floor(steps / ev.every) + 1 + (run.evaluate ? 1 : 0);
  const rows = run.evaluate ? run.evaluate.testSize : ev.batches * rowBatch(run);
  return times * rows * run.shape.length;
}

/**
 * Estimates every run's FLOPs (model's `flopsPerToken`) and time on `backend`: a few measured training
 * steps per distinct small shape (trainer-gpu's `benchTrain`), else the measured matmul rate at 30% use.
 */
export async function estimatePlan(
  plan: StudyPlan,
  options: { backend?: string; measure?: boolean } = {},
): Promise<PlanEstimate> {
  const backend = await selectBackend((options.backend ?? 'auto') as BackendPreference);
  let peak: number | undefined;
  const measured = new Map<string, number>();
  let measuredShapes = 0;
  let modelledShapes = 0;
  const runs: RunEstimate[] = [];
  for (const run of plan.runs) {
    const fpt = perToken(run);
    const batch = rowBatch(run);
    const key = `${run.shape.size}/${run.shape.vocabSize}/${run.shape.length}/${batch}`;
    let tps = measured.get(key);
    if (tps === undefined) {
      const stepFlops = fpt * batch * run.shape.length;
      if (options.measure !== false && stepFlops < MEASURE_LIMIT_FLOPS) {
        const r = await benchTrain({
          size: run.shape.size,
          vocab: run.shape.vocabSize,
          context: run.shape.length - 1,
          batch,
          steps: 2,
          warmup: 1,
          backend: backend.name,
        });
        tps = r.tokensPerSecond;
        measuredShapes++;
      } else {
        peak ??= await measureMatmulFlops();
        tps = (peak * ASSUMED_UTILISATION) / fpt;
        modelledShapes++;
      }
      measured.set(key, tps);
    }
    const ev = evalTokens(run);
    runs.push({
      id: run.id,
      status: runStatus(run),
      tokens: run.tokens,
      flops: fpt * run.tokens + (fpt / 3) * ev,
      seconds: run.tokens / tps + ev / (3 * tps),
    });
  }
  const open = runs.filter((r) => r.status !== 'complete');
  return {
    backend: backend.name,
    runs,
    flops: open.reduce((a, r) => a + r.flops, 0),
    seconds: open.reduce((a, r) => a + r.seconds, 0),
    method: `${measuredShapes} shape(s) timed with 2 training steps on ${backend.name}, ${modelledShapes} from the measured matmul rate at ${ASSUMED_UTILISATION * 100}% use`,
  };
}
