import { EventEmitter } from 'node:events';

/**
 * Typed in-process events with `subject:verb` names. Features declare their events by augmenting
 * `SidecarEventMap` in their own folder:
 *
 *   declare module '../events.ts' { interface SidecarEventMap { 'action:claimed': {...} } }
 *
 * Metrics and logs subscribe; `emit` is guarded so a listener that throws is logged and the loop that
 * emitted goes on.
 */
export interface SidecarEventMap {
  /** New actions were written; `earliestDueAt` is the soonest scheduled time among them (epoch ms). */
  'actions:enqueued': { count: number; earliestDueAt: number };
}

export type SidecarEventName = keyof SidecarEventMap;

export interface SidecarEvents {
  on<K extends SidecarEventName>(name: K, listener: (payload: SidecarEventMap[K]) => void): () => void;
  emit<K extends SidecarEventName>(name: K, payload: SidecarEventMap[K]): void;
}

export function createEvents(onListenerError: (name: string, error: unknown) => void = () => undefined): SidecarEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  return {
    on(name, listener) {
      emitter.on(name, listener);
      return () => emitter.off(name, listener);
    },
    emit(name, payload) {
      for (const listener of emitter.listeners(name)) {
        try {
          (listener as (p: typeof payload) => void)(payload);
        } catch (error) {
          onListenerError(name, error);
        }
      }
    },
  };
}
