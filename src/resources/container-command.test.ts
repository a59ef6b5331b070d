import { describe, expect, it } from 'vitest';
import { containerCommand } from './container-command.js';

describe('containerCommand', () => {
  it('passes the program as the command so an image ENTRYPOINT gets it appended', () => {
    expect(containerCommand('train')).toEqual({ cmd: ['train'] });
    expect(containerCommand('serve')).toEqual({ cmd: ['serve'] });
  });
  it('replaces entrypoint and drops the image CMD when ContainerEntrypoint is given', () => {
    expect(containerCommand('train', { containerEntrypoint: ['python3', 'x.py'] })).toEqual({ entrypoint: ['python3', 'x.py'], cmd: [] });
    expect(containerCommand('train', { containerEntrypoint: ['python3'], containerArguments: ['a'] })).toEqual({ entrypoint: ['python3'], cmd: ['a'] });
  });
  it('uses ContainerArguments alone as the command after the image ENTRYPOINT', () => {
    expect(containerCommand('train', { containerArguments: ['--epochs', '3'] })).toEqual({ cmd: ['--epochs', '3'] });
  });
  it('keeps the image command for processing jobs', () => {
    expect(containerCommand(undefined)).toEqual({});
  });
});
