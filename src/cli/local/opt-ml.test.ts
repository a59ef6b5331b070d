import { describe, expect, it } from 'vitest';
import { guessContentType, trainingConfigFiles } from './opt-ml.js';

describe('trainingConfigFiles', () => {
  it('writes hyperparameters exactly as given, as strings', () => {
    const files = trainingConfigFiles({ hyperparameters: { max_leaf_nodes: '5', lr: '"0.1"' }, channels: [] });
    expect(JSON.parse(files['hyperparameters.json']!)).toEqual({ max_leaf_nodes: '5', lr: '"0.1"' });
  });

  it('describes each channel in File mode and adds ContentType only when given', () => {
    const files = trainingConfigFiles({ hyperparameters: {}, channels: [{ name: 'training', contentType: 'text/csv' }, { name: 'validation' }] });
    expect(JSON.parse(files['inputdataconfig.json']!)).toEqual({
      training: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
      validation: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    });
  });

  it('sorts hosts lexicographically like SageMaker', () => {
    const files = trainingConfigFiles({ hyperparameters: {}, channels: [], instanceCount: 10, currentHost: 2 });
    const rc = JSON.parse(files['resourceconfig.json']!);
    expect(rc.hosts.slice(0, 3)).toEqual(['algo-1', 'algo-10', 'algo-2']);
    expect(rc.current_host).toBe('algo-2');
    expect(rc.network_interface_name).toBe('eth0');
    expect(rc.instance_groups[0].hosts).toEqual(rc.hosts);
  });
});

describe('guessContentType', () => {
  it('maps common extensions and leaves unknown ones undefined', () => {
    expect(guessContentType('payload.csv')).toBe('text/csv');
    expect(guessContentType('x.JSON')).toBe('application/json');
    expect(guessContentType('blob.bin')).toBeUndefined();
  });
});
