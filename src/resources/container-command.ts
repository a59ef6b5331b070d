/**
 * @module resources/container-command — what to run in a user's image (contract §3.1, §4.1, §6):
 *
 *   no overrides           → keep image ENTRYPOINT, Cmd = [program]   (`docker run image train`)
 *   ContainerEntrypoint    → Entrypoint = it, Cmd = ContainerArguments or [] (image CMD dropped)
 *   ContainerArguments only→ keep image ENTRYPOINT, Cmd = arguments    (no `train`)
 *
 * `program` is `train` or `serve`; processing jobs pass undefined (image's own command).
 */

export interface CommandOverrides {
  containerEntrypoint?: string[];
  containerArguments?: string[];
}

export interface ContainerCommand {
  /** undefined keeps the image's ENTRYPOINT. */
  entrypoint?: string[];
  /** undefined keeps the image's CMD. */
  cmd?: string[];
}

export function containerCommand(program: 'train' | 'serve' | undefined, o: CommandOverrides = {}): ContainerCommand {
  if (o.containerEntrypoint && o.containerEntrypoint.length > 0) {
    return { entrypoint: o.containerEntrypoint, cmd: o.containerArguments ?? [] };
  }
  if (o.containerArguments && o.containerArguments.length > 0) return { cmd: o.containerArguments };
  return program ? { cmd: [program] } : {};
}
