import { describe, expect, it } from 'vitest';
import { parseQueryParams, toXml } from './query-surface.js';

describe('query protocol', () => {
  it('turns member lists and nested keys into objects', () => {
    const p = new URLSearchParams(
      'Action=GetMetricStatistics&Version=2010-08-01&Namespace=AWS%2FSageMaker&Dimensions.member.1.Name=EndpointName&Dimensions.member.1.Value=e&Dimensions.member.2.Name=VariantName&Dimensions.member.2.Value=v&Statistics.member.1=Sum',
    );
    expect(parseQueryParams(p)).toEqual({
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

  it('renders lists as member elements and dates as ISO 8601', () => {
    expect(toXml('R', { Datapoints: [{ Timestamp: new Date(0), Sum: 2 }], Label: 'a<b' })).toBe(
      '<R><Datapoints><member><Timestamp>1970-01-01T00:00:00.000Z</Timestamp><Sum>2</Sum></member></Datapoints><Label>a&lt;b</Label></R>',
    );
  });
});
