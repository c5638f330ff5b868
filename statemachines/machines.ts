/** Every state machine, by the name of its file (statemachines/<name>.asl.json) and of its deployed machine (<prefix>-<name>). */
import type { Definition } from './builder.ts';
import { exportMachine } from './export.ts';
import { importMachine } from './import.ts';
import { lifecycleMachine } from './lifecycle.ts';

export const MACHINES: Readonly<Record<string, () => Definition>> = { lifecycle: lifecycleMachine, import: importMachine, export: exportMachine };
