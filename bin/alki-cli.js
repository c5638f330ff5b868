#!/usr/bin/env node
// The `alki` command. In this repository Node 24 runs the TypeScript source directly; an
// installed package has only the built JavaScript (Node strips no types under node_modules).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('./cli.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/bin/cli.js', import.meta.url).href);
