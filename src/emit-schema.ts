import fs from 'node:fs';
import path from 'node:path';
import { printContract } from './schema';

const target = path.join(__dirname, '..', 'schema.graphql');
fs.writeFileSync(target, printContract());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
