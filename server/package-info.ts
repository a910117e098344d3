import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The service's own package.json, found by walking up from this module: the same answer from
 * server/ under tsx and from dist/server/ once compiled. Read once, at import.
 */
export interface PackageInfo {
  name: string;
  version: string;
}

function findPackageInfo(): PackageInfo {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Partial<PackageInfo>;
      if (parsed.name === 'wecoza-sidecar' && typeof parsed.version === 'string') return { name: parsed.name, version: parsed.version };
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json of wecoza-sidecar not found above server/');
    dir = parent;
  }
}

export const PACKAGE: PackageInfo = findPackageInfo();
