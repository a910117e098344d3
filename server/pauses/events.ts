/** The pauses' events: the runner, the wake-up NOTIFY and the logs subscribe. */
declare module '../events.ts' {
  interface SidecarEventMap {
    /** An operator paused or resumed a hook or the whole runner, in this process. */
    'pause:changed': { scope: 'hook'; hook: string; paused: boolean } | { scope: 'runner'; paused: boolean };
  }
}

export {};
