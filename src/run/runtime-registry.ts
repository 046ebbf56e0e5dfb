import { AmchaosError } from '../errors/index.js';
import { ProcessRuntime } from '../runtime/process/process-runtime.js';
import type { Runtime, RuntimeName } from '../runtime/types.js';

/** Runtimes by name. netns and docker are loaded lazily: they need root or an engine. */
export async function getRuntime(name: RuntimeName): Promise<Runtime> {
  switch (name) {
    case 'process':
      return new ProcessRuntime();
    case 'netns':
    case 'docker':
    default:
      throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the ${name} runtime is not available in this build`, {
        hint: 'Use --runtime process.',
      });
  }
}

/** Each runtime's sweep of resources a killed run left (called at start-up and by `amchaos sweep`). */
export function runtimeSweeps(): Array<() => Promise<string[]>> {
  return [() => new ProcessRuntime().sweep()];
}
