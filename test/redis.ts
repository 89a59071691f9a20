// One definition of the throwaway Redis server, shared with the scale-out benchmark.
export interface RedisServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const { startRedis: start } = require('../scripts/redis-server.js') as { startRedis: () => Promise<RedisServer> };

/** redis-server on 127.0.0.1 at a free port, with no persistence. */
export function startRedis(): Promise<RedisServer> {
  return start();
}
