/**
 * @module controllers/transform-job/data-processing — DataProcessing (contract §5): InputFilter
 * on each record before it is sent, JoinSource Input (CSV: input columns then output columns;
 * JSON object: adds `SageMakerOutput`; other JSON: `{SageMakerInput, SageMakerOutput}`) and
 * OutputFilter on the joined record. CSV rows are arrays of strings (index paths only). Pure.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html
 */
import { applyJsonPath, parseJsonPath } from '../../resources/jsonpath.js';
import type { DataProcessingDoc, Format } from '../../resources/transform-job.js';

/** Splits one CSV row on commas outside double quotes (CSV with embedded newlines is unsupported, §5). */
export function parseCsvRow(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function parse(text: string, f: Format): unknown {
  return f === 'csv' ? parseCsvRow(text) : JSON.parse(text);
}

function serialise(v: unknown, f: Format): string {
  if (f === 'csv') return Array.isArray(v) ? v.map(csvCell).join(',') : csvCell(v);
  return JSON.stringify(v);
}

/** The compiled processing of one job; `undefined` members are no-ops. */
export class DataProcessor {
  private readonly input?: ReturnType<typeof parseJsonPath>;
  private readonly output?: ReturnType<typeof parseJsonPath>;
  readonly join: boolean;

  constructor(
    dp: DataProcessingDoc | undefined,
    private readonly inFormat: Format | undefined,
    private readonly outFormat: Format | undefined,
  ) {
    const trivial = (p: string | undefined) => p === undefined || p.trim() === '$';
    if (!trivial(dp?.InputFilter)) this.input = parseJsonPath(dp!.InputFilter!);
    if (!trivial(dp?.OutputFilter)) this.output = parseJsonPath(dp!.OutputFilter!);
    this.join = dp?.JoinSource === 'Input';
  }

  /** True when responses must be matched to records one by one. */
  get perRecordOutput(): boolean {
    return this.join || this.output !== undefined;
  }

  get active(): boolean {
    return this.perRecordOutput || this.input !== undefined;
  }

  filterInput(record: Buffer): Buffer {
    if (!this.input) return record;
    const f = this.inFormat ?? 'json';
    return Buffer.from(serialise(applyJsonPath(this.input, parse(record.toString('utf8'), f)), f));
  }

  /** Joins (when asked) and filters one output record; both as text without a trailing newline. */
  processOutput(inputRecord: Buffer, output: string): string {
    const outF = this.outFormat ?? 'json';
    let value: unknown;
    let format: Format = outF;
    if (this.join) {
      const inF = this.inFormat ?? 'json';
      const input = parse(inputRecord.toString('utf8'), inF);
      if (inF === 'csv') {
        const out = outF === 'csv' ? parseCsvRow(output) : [output];
        value = [...(input as string[]), ...out];
        format = 'csv';
      } else {
        let out: unknown = output;
        try {
          out = JSON.parse(output);
        } catch {
          // a non-JSON answer (e.g. CSV from the model) is joined as a string
        }
        value = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as object), SageMakerOutput: out } : { SageMakerInput: input, SageMakerOutput: out };
        format = 'json';
      }
    } else {
      if (!this.output) return output;
      value = parse(output, outF);
    }
    if (this.output) value = applyJsonPath(this.output, value);
    return serialise(value, format);
  }
}
