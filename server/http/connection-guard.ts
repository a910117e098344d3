import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ERROR_DEFINITIONS } from '../errors.ts';

/**
 * Slow and greedy clients, counted in /metrics. The request timeout itself is the HTTP server's
 * (`requestTimeout`: headers and body must arrive within REQUEST_TIMEOUT_SECONDS, else 408 and the
 * connection closes; the 408 is written by the client-error handler, which counts it here). The bound
 * on open connections per client address is ours: a client past MAX_CONNECTIONS_PER_ADDRESS gets a
 * 503 on the new connection, which is then closed, so one address cannot hold every socket.
 */
export interface HttpGuardMetrics {
  requestTimedOut(): void;
}

function counter(registry: Registry, name: string, help: string): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers: [registry] });
}

export function createHttpGuardMetrics(registry: Registry): HttpGuardMetrics & { refused: Counter; open: Gauge } {
  const timeouts = counter(registry, 'sidecar_http_request_timeouts_total', 'Requests cut because headers and body did not arrive within REQUEST_TIMEOUT_SECONDS (408).');
  const refused = counter(registry, 'sidecar_http_connections_refused_total', 'Connections closed because their client address already held MAX_CONNECTIONS_PER_ADDRESS.');
  const open =
    (registry.getSingleMetric('sidecar_http_open_connections') as Gauge | undefined) ??
    new Gauge({ name: 'sidecar_http_open_connections', help: 'Open HTTP connections.', registers: [registry] });
  return { requestTimedOut: () => timeouts.inc(), refused, open };
}

/** The reply written on a refused connection, before any request is read. */
function tooManyConnectionsReply(): string {
  const body = JSON.stringify({ error: { code: 'too_many_connections', message: ERROR_DEFINITIONS.too_many_connections.message } });
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`;
}

export function guardConnections(params: {
  server: Server;
  maxPerAddress: number;
  metrics: ReturnType<typeof createHttpGuardMetrics>;
  log: FastifyBaseLogger;
}): void {
  const { server, maxPerAddress, metrics } = params;
  const byAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const held = byAddress.get(address) ?? 0;
    if (maxPerAddress > 0 && held >= maxPerAddress) {
      metrics.refused.inc();
      params.log.warn({ remote: address, held, limit: maxPerAddress }, 'connection refused: too many open connections from this address');
      socket.on('error', () => undefined);
      socket.end(tooManyConnectionsReply());
      socket.destroySoon();
      return;
    }
    byAddress.set(address, held + 1);
    metrics.open.inc();
    socket.once('close', () => {
      metrics.open.dec();
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left <= 0) byAddress.delete(address);
      else byAddress.set(address, left);
    });
  });
}
