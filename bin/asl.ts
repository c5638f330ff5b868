/** `npm run asl`: writes statemachines/<machine>.asl.json from their builders (a test checks each is current). */
import { writeFileSync } from 'node:fs';
import { STATE_MACHINES_DIR } from '../lib/lifecycle.ts';
import { aslText } from '../statemachines/builder.ts';
import { MACHINES } from '../statemachines/machines.ts';

for (const [name, build] of Object.entries(MACHINES)) {
  const file = `${STATE_MACHINES_DIR}${name}.asl.json`;
  writeFileSync(file, aslText(build()));
  console.log(`wrote ${file}`);
}
