export { MathRng } from './dm-math/rng.js';
export { Rational } from './dm-math/rational.js';
export type { MathProblem } from './dm-math/sampling.js';
export { MAX_QUESTION_CHARS, MAX_ANSWER_CHARS } from './dm-math/sampling.js';
export { DM_MATH_SPLITS, DM_MATH_MODULES, dmMathModules, dmMathProblem } from './dm-math/modules.js';
export type { DmMathSplit, DmMathModule } from './dm-math/modules.js';
export { writeDmMath, checkDmMathOutput, DM_MATH_ROOT, DM_MATH_MARKER } from './dm-math/write.js';
export type { WriteDmMathOptions, WriteDmMathResult } from './dm-math/write.js';
export { globToRegExp, listCorpusFiles } from './readers/glob.js';
export type { FileFilter } from './readers/glob.js';
export { readJsonlRecords, isGzip, emptyReadStats } from './readers/records.js';
export type { OnError, ReadIssue, ReadStats, JsonlRecord, JsonlOptions } from './readers/records.js';
export { readParquetRecords } from './readers/parquet.js';
export type { ParquetRecord, ParquetOptions } from './readers/parquet.js';
export { CORPUS_FORMATS, FORMAT_FIELD, detectFormat, readCorpus } from './readers/corpus.js';
export type { CorpusFormat, CorpusDocument, ReadCorpusOptions } from './readers/corpus.js';
export { DmMathSource, dmMathSource } from './readers/dm-math-source.js';
export type { DmMathPart, DmMathSourceOptions, DmMathDraw } from './readers/dm-math-source.js';
export {
  EMBEDDED_CORPORA,
  listEmbeddedCorpora,
  embeddedDocuments,
  defaultCorporaFor,
  passesCodeFilters,
  pythonStdlibDir,
} from './embedded.js';
export type { CorpusDomain, EmbeddedDocument, EmbeddedCorpusInfo } from './embedded.js';
export { ParallelEncoder } from './parallel.js';
export { prepareCorpus, isValidationDocument } from './prepare.js';
export type { PrepareOptions, PrepareResult } from './prepare.js';
export { tokenizeCorpus, defaultSeparator } from './tokenize-corpus.js';
export type { TokenizeCorpusOptions, TokenizeCorpusResult } from './tokenize-corpus.js';
