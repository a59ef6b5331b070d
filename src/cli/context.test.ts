import { describe, expect, it } from 'vitest';
import { CliError, formatAge, formatBytes, parseChannel, parseKeyValue, parseKeyValues, renderTable } from './context.js';

describe('parseChannel', () => {
  it('splits CHANNEL=SOURCE and defaults a bare source to the training channel', () => {
    expect(parseChannel('validation=./data/val')).toEqual({ channel: 'validation', source: './data/val' });
    expect(parseChannel('./data')).toEqual({ channel: 'training', source: './data' });
  });

  it('keeps an S3 URI whole even when its key contains =', () => {
    expect(parseChannel('s3://bucket/k=v/')).toEqual({ channel: 'training', source: 's3://bucket/k=v/' });
    expect(parseChannel('train=s3://bucket/a=b/')).toEqual({ channel: 'train', source: 's3://bucket/a=b/' });
  });
});

describe('parseKeyValue', () => {
  it('keeps = in values and rejects a missing key as a usage error', () => {
    expect(parseKeyValue('a=b=c')).toEqual(['a', 'b=c']);
    expect(parseKeyValues(['x=1', 'y='])).toEqual({ x: '1', y: '' });
    expect(() => parseKeyValue('=1')).toThrow(CliError);
    try {
      parseKeyValue('novalue');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

describe('formatting', () => {
  it('renders aligned columns without trailing spaces', () => {
    expect(renderTable(['NAME', 'STATUS'], [['a', 'Completed'], ['longer-name', 'Failed']])).toBe(
      'NAME         STATUS\na            Completed\nlonger-name  Failed',
    );
  });

  it('gives relative ages and byte sizes', () => {
    expect(formatAge(5_000)).toBe('5s ago');
    expect(formatAge(3 * 60_000)).toBe('3m ago');
    expect(formatAge(2 * 3_600_000)).toBe('2h ago');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
  });
});
