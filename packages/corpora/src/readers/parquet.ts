import { ProcptError } from '@procpt/core';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { type OnError, type ReadStats, handleIssue } from './records.js';

/** One text record of a parquet file. */
export interface ParquetRecord {
  text: string;
  /** 1-based row number. */
  line: number;
}

/** Options of {@link readParquetRecords}. */
export interface ParquetOptions {
  /** Column with the text (`content` for CodeParrot). */
  field: string;
  onError?: OnError;
  stats?: ReadStats;
  /** Skip rows ≤ this (resume). */
  afterLine?: number;
  /** Rows decoded at a time (default 1024): bounds memory for any file size. */
  batchRows?: number;
}

/**
 * Streams one string column of a parquet file (e.g. the Hub's parquet conversion of
 * codeparrot-clean) with `hyparquet`, a batch of rows at a time. A file that is not parquet, or
 * lacks the column, is a `corrupt` error; null or non-string cells follow `onError`.
 */
export async function* readParquetRecords(
  path: string,
  options: ParquetOptions,
): AsyncGenerator<ParquetRecord> {
  const { field, onError = 'stop', stats, afterLine = 0, batchRows = 1024 } = options;
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    handleIssue(
      {
        file: path,
        byte: file.byteLength,
        message: `not a readable parquet file: ${(error as Error).message}`,
      },
      onError,
      stats,
      error,
    );
    return;
  }
  const columns = metadata.schema.slice(1).map((s) => s.name);
  if (!columns.includes(field)) {
    throw new ProcptError(
      'corrupt',
      `${path}: parquet file has no column "${field}" (columns: ${columns.join(', ')})`,
      {
        hint: 'pass --format text for other layouts, or the right --field',
      },
    );
  }
  const rows = Number(metadata.num_rows);
  for (let start = afterLine; start < rows; start += batchRows) {
    const end = Math.min(rows, start + batchRows);
    let batch: Record<string, unknown>[];
    try {
      batch = await parquetReadObjects({ file, metadata, columns: [field], rowStart: start, rowEnd: end });
    } catch (error) {
      handleIssue(
        {
          file: path,
          line: start + 1,
          message: `cannot decode rows ${start + 1}–${end}: ${(error as Error).message}`,
        },
        onError,
        stats,
        error,
      );
      continue;
    }
    for (let i = 0; i < batch.length; i++) {
      const value = batch[i]?.[field];
      if (typeof value !== 'string') {
        handleIssue(
          { file: path, line: start + i + 1, message: `column "${field}" is not a string` },
          onError,
          stats,
        );
        continue;
      }
      yield { text: value, line: start + i + 1 };
    }
  }
}
