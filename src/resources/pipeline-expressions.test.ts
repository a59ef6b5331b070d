import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluate, evaluateCondition, parsePath, references, type ExpressionContext } from './pipeline-expressions.js';

const ctx: ExpressionContext = {
  parameters: { Threshold: 0.7, Mode: 'fast', Count: 3, Flag: true },
  execution: { PipelineExecutionId: 'abc123def456', PipelineName: 'p' },
  stepProperties: (s) =>
    s === 'Train'
      ? {
          ModelArtifacts: { S3ModelArtifacts: 's3://b/out/model.tar.gz' },
          FinalMetricDataList: [{ MetricName: 'train:accuracy', Value: 0.93 }],
        }
      : s === 'Prep'
        ? { ProcessingOutputConfig: { Outputs: [{ OutputName: 'train', S3Output: { S3Uri: 's3://b/train' } }, { OutputName: 'test', S3Output: { S3Uri: 's3://b/test' } }] } }
        : undefined,
  propertyFile: (s, f) => (s === 'Eval' && f === 'Report' ? { metrics: { accuracy: { value: 0.91 } }, list: [5, 6] } : undefined),
};

describe('pipeline expressions', () => {
  it('resolves step properties, list elements by name and by index', () => {
    expect(evaluate({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, ctx)).toBe('s3://b/out/model.tar.gz');
    expect(evaluate({ Get: "Steps.Prep.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri" }, ctx)).toBe('s3://b/test');
    expect(evaluate({ Get: 'Steps.Prep.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri' }, ctx)).toBe('s3://b/train');
    expect(evaluate({ Get: "Steps.Train.FinalMetricDataList['train:accuracy'].Value" }, ctx)).toBe(0.93);
  });

  it('resolves parameters and execution variables inside nested arguments', () => {
    expect(evaluate({ A: [{ Get: 'Parameters.Mode' }, { B: { Get: 'Execution.PipelineExecutionId' } }] }, ctx)).toEqual({ A: ['fast', { B: 'abc123def456' }] });
  });

  it('joins values with Std:Join', () => {
    expect(evaluate({ 'Std:Join': { On: '/', Values: ['s3://b', { Get: 'Execution.PipelineExecutionId' }, { Get: 'Parameters.Count' }] } }, ctx)).toBe('s3://b/abc123def456/3');
  });

  it('reads a property file with Std:JsonGet', () => {
    const j = (Path: string) => ({ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path } });
    expect(evaluate(j('metrics.accuracy.value'), ctx)).toBe(0.91);
    expect(evaluate(j('list[1]'), ctx)).toBe(6);
    expect(() => evaluate(j('metrics.recall.value'), ctx)).toThrow(/JsonGet path metrics.recall.value has no value/);
    expect(() => evaluate({ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Other' }, Path: 'a' } }, ctx)).toThrow(/Property file Other of step Eval was not read/);
  });

  it('throws ExpressionError for a step that has not run and an unknown parameter', () => {
    expect(() => evaluate({ Get: 'Steps.Nope.X' }, ctx)).toThrow(ExpressionError);
    expect(() => evaluate({ Get: 'Parameters.Missing' }, ctx)).toThrow(/Parameter Missing is not defined/);
    expect(() => evaluate({ Get: 'Whatever.X' }, ctx)).toThrow(/starts with Steps/);
  });

  it('evaluates every condition type', () => {
    const acc = { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path: 'metrics.accuracy.value' } };
    const t = { Get: 'Parameters.Threshold' };
    expect(evaluateCondition({ Type: 'GreaterThanOrEqualTo', LeftValue: acc, RightValue: t }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'GreaterThan', LeftValue: acc, RightValue: 0.91 }, ctx)).toBe(false);
    expect(evaluateCondition({ Type: 'LessThan', LeftValue: t, RightValue: acc }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'LessThanOrEqualTo', LeftValue: 0.91, RightValue: acc }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'Equals', LeftValue: { Get: 'Parameters.Mode' }, RightValue: 'fast' }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'Equals', LeftValue: { Get: 'Parameters.Count' }, RightValue: '3' }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'In', QueryValue: { Get: 'Parameters.Mode' }, Values: ['slow', 'fast'] }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'Not', Expression: { Type: 'In', QueryValue: 'x', Values: ['y'] } }, ctx)).toBe(true);
    expect(evaluateCondition({ Type: 'Or', Conditions: [{ Type: 'Equals', LeftValue: 1, RightValue: 2 }, { Type: 'Equals', LeftValue: { Get: 'Parameters.Flag' }, RightValue: true }] }, ctx)).toBe(true);
    expect(() => evaluateCondition({ Type: 'GreaterThan', LeftValue: 'abc', RightValue: 1 }, ctx)).toThrow(/compares numbers/);
    expect(() => evaluateCondition({ Type: 'Between', LeftValue: 1, RightValue: 2 }, ctx)).toThrow(/unknown condition type Between/);
  });

  it('collects the steps and parameters an expression reads', () => {
    const r = references({ a: { Get: 'Steps.A.X' }, b: [{ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.B.PropertyFiles.F' }, Path: 'x' } }], c: { Get: 'Parameters.P' } });
    expect([...r.steps].sort()).toEqual(['A', 'B']);
    expect([...r.parameters]).toEqual(['P']);
  });

  it('refuses paths it cannot parse', () => {
    expect(parsePath(".A['b'][2].C")).toEqual([{ member: 'A' }, { key: 'b' }, { index: 2 }, { member: 'C' }]);
    expect(() => parsePath('.A[x]')).toThrow(ExpressionError);
  });
});
