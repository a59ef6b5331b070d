import { describe, expect, it } from 'vitest';
import { MalformedQueryString, parseQuery } from './query-params.js';
import { toXml } from './query-surface.js';

describe('query protocol', () => {
  it('turns member lists and nested keys into objects', () => {
    const p = 'Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FSageMaker&Dimensions.member.1.Name=EndpointName&Dimensions.member.1.Value=e&Dimensions.member.2.Name=VariantName&Dimensions.member.2.Value=v&Statistics.member.1=Sum';
    expect(parseQuery(p)).toEqual({
      action: 'GetMetricStatistics',
      input: {
        Namespace: 'AWS/SageMaker',
        Dimensions: [
          { Name: 'EndpointName', Value: 'e' },
          { Name: 'VariantName', Value: 'v' },
        ],
        Statistics: ['Sum'],
      },
    });
  });

  it('never reaches Object.prototype through __proto__ or constructor.prototype keys', () => {
    const { input } = parseQuery('Action=X&__proto__.fuzzPolluted=1&constructor.prototype.fuzzPolluted=2');
    expect(({} as Record<string, unknown>).fuzzPolluted).toBeUndefined();
    expect(Object.keys(input).sort()).toEqual(['__proto__', 'constructor']);
  });

  it('refuses a name given both as a value and with members, either way round', () => {
    expect(() => parseQuery('Action=X&A=1&A.B=2')).toThrow(MalformedQueryString);
    expect(() => parseQuery('Action=X&A.B=2&A=1')).toThrow(MalformedQueryString);
  });

  it('decodes + and %-escapes as UTF-8 and refuses bytes that are not UTF-8', () => {
    expect(parseQuery('Action=X&N=a+b%2Fc%C3%A9').input).toEqual({ N: 'a b/cé' });
    expect(parseQuery('Action=X&N=100%').input).toEqual({ N: '100%' });
    expect(() => parseQuery('Action=X&N=%C3%28')).toThrow(MalformedQueryString);
  });

  it('renders lists as member elements and dates as ISO 8601', () => {
    expect(toXml('R', { Datapoints: [{ Timestamp: new Date(0), Sum: 2 }], Label: 'a<b' })).toBe(
      '<R><Datapoints><member><Timestamp>1970-01-01T00:00:00.000Z</Timestamp><Sum>2</Sum></member></Datapoints><Label>a&lt;b</Label></R>',
    );
  });
});
