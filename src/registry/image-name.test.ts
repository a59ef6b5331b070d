import { describe, expect, it } from 'vitest';
import { isSlipwayRegistryHost, parseImageName, pullAddress, registryAddress } from './image-name.js';

describe('parseImageName', () => {
  it('splits an ECR URI into host, repository and tag', () => {
    expect(parseImageName('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/algo:2')).toEqual({
      host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'team/algo',
      tag: '2',
    });
  });

  it('reads a host with a port and a digest', () => {
    expect(parseImageName('127.0.0.1:7447/algo@sha256:abc')).toEqual({ host: '127.0.0.1:7447', repository: 'algo', digest: 'sha256:abc' });
    expect(parseImageName('localhost/algo:1@sha256:abc')).toEqual({ host: 'localhost', repository: 'algo', tag: '1', digest: 'sha256:abc' });
  });

  it('treats a first component without . or : as part of the repository', () => {
    expect(parseImageName('team/algo:1')).toEqual({ repository: 'team/algo', tag: '1' });
    expect(parseImageName('algo')).toEqual({ repository: 'algo' });
  });

  it('refuses empty parts', () => {
    expect(parseImageName('')).toBeUndefined();
    expect(parseImageName('algo:')).toBeUndefined();
    expect(parseImageName('algo@')).toBeUndefined();
    expect(parseImageName('a b')).toBeUndefined();
  });
});

describe('isSlipwayRegistryHost', () => {
  it('is any ECR host name and Slipway’s own loopback address', () => {
    expect(isSlipwayRegistryHost('123456789012.dkr.ecr.us-east-1.amazonaws.com', 7447)).toBe(true);
    expect(isSlipwayRegistryHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 7447)).toBe(true);
    expect(isSlipwayRegistryHost('127.0.0.1:7447', 7447)).toBe(true);
    expect(isSlipwayRegistryHost('localhost:7447', 7447)).toBe(true);
    expect(isSlipwayRegistryHost('127.0.0.1:5000', 7447)).toBe(false);
    expect(isSlipwayRegistryHost('docker.io', 7447)).toBe(false);
    expect(isSlipwayRegistryHost('12345.dkr.ecr.us-east-1.amazonaws.com', 7447)).toBe(false);
  });
});

describe('pullAddress', () => {
  it('is loopback when Slipway listens everywhere, else the bound address', () => {
    expect(pullAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(pullAddress('0.0.0.0')).toBe('127.0.0.1');
    expect(pullAddress('::')).toBe('127.0.0.1');
    expect(pullAddress('10.0.0.5')).toBe('10.0.0.5');
    expect(pullAddress('fd00::5')).toBe('[fd00::5]');
  });
});

describe('registryAddress', () => {
  it('is host:port of a Slipway URL, the port always written', () => {
    expect(registryAddress('http://10.231.0.1:7447')).toBe('10.231.0.1:7447');
    expect(registryAddress('http://slipway.internal/')).toBe('slipway.internal:80');
    expect(registryAddress('https://slipway.internal')).toBe('slipway.internal:443');
    expect(registryAddress('http://[fd00::1]:7447')).toBe('[fd00::1]:7447');
  });

  it('is undefined for what is not an http(s) URL', () => {
    expect(registryAddress('unix:///x.sock')).toBeUndefined();
    expect(registryAddress('not a url')).toBeUndefined();
  });
});
