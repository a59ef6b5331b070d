import { describe, expect, it } from 'vitest';
import { DefinitionError, coerceParameter, durationMs, parseDefinition, readySteps, stepJobName } from './pipeline.js';

const train = (name: string, extra: Record<string, unknown> = {}) => ({ Name: name, Type: 'Training', Arguments: { AlgorithmSpecification: {} }, ...extra });
const def = (steps: unknown[], params: unknown[] = []) => JSON.stringify({ Version: '2020-12-01', Parameters: params, Steps: steps });

describe('pipeline definitions', () => {
  it('flattens condition branches and derives each step’s dependencies', () => {
    const g = parseDefinition(
      def(
        [
          train('A'),
          { Name: 'B', Type: 'Model', Arguments: { PrimaryContainer: { ModelDataUrl: { Get: 'Steps.A.ModelArtifacts.S3ModelArtifacts' } } } },
          {
            Name: 'C',
            Type: 'Condition',
            Arguments: { Conditions: [{ Type: 'Equals', LeftValue: { Get: 'Parameters.P' }, RightValue: 'x' }], IfSteps: [train('D', { DependsOn: ['B'] })], ElseSteps: [{ Name: 'F', Type: 'Fail', Arguments: { ErrorMessage: 'no' } }] },
          },
        ],
        [{ Name: 'P', Type: 'String', DefaultValue: 'x' }],
      ),
    );
    expect([...g.steps.keys()]).toEqual(['A', 'B', 'C', 'D', 'F']);
    expect(g.steps.get('B')!.after).toEqual(['A']);
    expect(g.steps.get('D')!.after.sort()).toEqual(['B', 'C']);
    expect(g.steps.get('F')!.branch).toEqual({ condition: 'C', when: 'False' });
    // A and C are ready at once (parallel); after C chose True, F never runs.
    expect(readySteps(g, {}).map((s) => s.Name)).toEqual(['A', 'C']);
    const done = { status: 'Succeeded' as const, startTime: 0, attempt: 1 };
    expect(readySteps(g, { A: done, B: done, C: { ...done, outcome: 'True' } }).map((s) => s.Name)).toEqual(['D']);
    expect(readySteps(g, { A: done, B: done, C: { ...done, outcome: 'False' } }).map((s) => s.Name)).toEqual(['F']);
  });

  it.each([
    [def([{ Name: 'X', Type: 'Lambda', Arguments: {} }]), /Step X has type "Lambda", which Slipway does not run/],
    [def([train('A', { Arguments: { x: { Get: 'Steps.Nope.ModelArtifacts' } } })]), /Step A refers to step Nope, which is not defined/],
    [def([train('A', { Arguments: { x: { Get: 'Parameters.Q' } } })]), /refers to parameter Q/],
    [def([train('A', { Arguments: { x: { Get: 'Execution.Foo' } } })]), /Execution.Foo, which is not an execution variable/],
    [def([train('A', { DependsOn: ['B'] }), train('B', { DependsOn: ['A'] })]), /cycle: A → B → A|cycle: B → A → B/],
    [def([train('A'), train('A')]), /used more than once/],
    [def([train('A', { DependsOn: ['Z'] })]), /DependsOn names step Z/],
    [def([{ Name: 'C', Type: 'Condition', Arguments: { Conditions: [{ Type: 'Like', LeftValue: 1, RightValue: 1 }] } }]), /unknown condition type Like/],
    [def([train('A', { Arguments: { x: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.B.PropertyFiles.R' }, Path: 'a' } } } }), train('B')]), /does not declare in PropertyFiles/],
    [def([train('A')], [{ Name: 'N', Type: 'Integer', DefaultValue: 'abc' }]), /Parameter N of type Integer cannot take the value "abc"/],
    ['{not json', /not valid JSON/],
    [JSON.stringify({ Steps: [] }), /non-empty Steps/],
    // Hostile input: deep nesting would overflow the evaluator's recursion; thousands of steps would stall readiness checks.
    [`{"Steps":[{"Name":"A","Type":"Training","Arguments":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`, /more than 64 levels deep/],
    [def(Array.from({ length: 501 }, (_, i) => train(`S${i}`))), /501 steps; Slipway runs at most 500/],
  ])('refuses a bad definition (%#)', (text, message) => {
    expect(() => parseDefinition(text)).toThrow(DefinitionError);
    expect(() => parseDefinition(text)).toThrow(message);
  });

  it('coerces parameter values by type', () => {
    expect(coerceParameter({ Name: 'n', Type: 'Integer' }, '5')).toBe(5);
    expect(coerceParameter({ Name: 'f', Type: 'Float' }, '0.5')).toBe(0.5);
    expect(coerceParameter({ Name: 'b', Type: 'Boolean' }, 'false')).toBe(false);
    expect(() => coerceParameter({ Name: 'n', Type: 'Integer' }, '1.5')).toThrow(DefinitionError);
  });

  it('names step jobs as SageMaker does, within 63 characters', () => {
    const name = stepJobName('abcdefghijkl', 'A-very-long-step-name-that-goes-on-and-on-and-on', '0123456789');
    expect(name).toMatch(/^pipelines-abcdefghijkl-A-very-long-step-.*-0123456789$/);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('reads ISO 8601 durations for CacheConfig.ExpireAfter', () => {
    expect(durationMs('PT1H')).toBe(3_600_000);
    expect(durationMs('P30D')).toBe(30 * 86_400_000);
    expect(durationMs('P1W')).toBe(7 * 86_400_000);
    expect(durationMs('soon')).toBeUndefined();
  });
});
