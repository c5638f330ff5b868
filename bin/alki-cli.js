#!/usr/bin/env node
// The `alki` command: Node 24 runs the TypeScript source directly.
import './cli.ts';
