import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApiYaml } from './openapi-document.ts';

/** `npm run openapi`: regenerate openapi.yaml at the repository root from the route schemas. */
const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi.yaml');
await writeFile(target, await generateOpenApiYaml());
process.stdout.write(`wrote ${target}\n`);
