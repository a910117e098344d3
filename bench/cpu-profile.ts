/**
 * A V8 `.cpuprofile` (node --cpu-prof) summed by self time: per function, and per group (the package
 * or project folder the code lives in), so a bench can print where a process spends its CPU without
 * opening DevTools.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuSummary {
  totalMs: number;
  /** [group, self ms], largest first. */
  groups: Array<[string, number]>;
  functions: Array<{ name: string; ms: number }>;
}

/** Where a frame's code lives: a package under node_modules, a project folder, node itself, or V8's own. */
function groupOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native / V8 builtins';
  }
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return `package ${packageMatch[1]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0]}`;
  const projectMatch = /\/(server|bench|test)\/([^/]+)/.exec(url);
  if (projectMatch) return projectMatch[1] === 'server' && !projectMatch[2]?.endsWith('.ts') ? `server/${projectMatch[2]}` : `${projectMatch[1]}/${projectMatch[2]}`;
  return url;
}

export function summarizeCpuProfile(profile: CpuProfile): CpuSummary {
  // Self time per node from the sample deltas (µs); hitCount × mean interval when deltas are absent.
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  } else {
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const interval = (profile.endTime - profile.startTime) / Math.max(1, hits);
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + us / 1000);
    const name = `${functionName || '(anonymous)'} ${url === '' ? '' : `${url.replace(/^.*?\/(node_modules|server|bench)\//, '$1/')}:${lineNumber + 1}`}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us / 1000);
    total += us / 1000;
  }
  const sorted = <K>(map: Map<K, number>): Array<[K, number]> => [...map].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, groups: sorted(groups), functions: sorted(functions).map(([name, ms]) => ({ name, ms })) };
}
