// For tests of outbound calls: counts the client sockets each test opens (a refused call must open
// none) and closes the loopback servers a test started, after each test.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Server } from 'node:http';
import { afterEach, beforeEach } from 'vitest';

export interface LoopbackWatch {
  /** Servers to close after the current test. */
  servers: Server[];
  /** Client sockets opened since the current test began. */
  sockets(): number;
}

/** Call once at the top of a test file. */
export function watchLoopback(): LoopbackWatch {
  const servers: Server[] = [];
  let sockets = 0;
  const countSocket = (): void => void sockets++;
  beforeEach(() => {
    sockets = 0;
    diagnosticsChannel.subscribe('net.client.socket', countSocket);
  });
  afterEach(async () => {
    diagnosticsChannel.unsubscribe('net.client.socket', countSocket);
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
  return { servers, sockets: () => sockets };
}
