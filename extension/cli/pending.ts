import type { Command } from 'commander';
import { InspectorError } from '../core/errors';

/** Analyses whose issue has not landed yet: each says so plainly instead of pretending. */
const PENDING: readonly { name: string; description: string; issue: string }[] = [];

export function registerPending(program: Command): void {
  for (const { name, description, issue } of PENDING) {
    program.command(name)
      .description(`${description} (not available yet: ${issue})`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new InspectorError('cli.not-available', 'failure', `"${name}" is not available in this build yet: it arrives with issue ${issue}.`);
      });
  }
}
