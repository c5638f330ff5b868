/** `npm run openapi`: writes docs/openapi.json from the routes and schemas (a test checks it is current). */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lambda/api/openapi.ts';

const OPENAPI_FILE = 'docs/openapi.json';
writeFileSync(OPENAPI_FILE, JSON.stringify(openApiDocument(), null, 2) + '\n');
console.log(`wrote ${OPENAPI_FILE}`);
