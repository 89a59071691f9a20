// A throwaway redis-server for the queue tests and the scale-out benchmark: on loopback, at a free
// port, with no persistence; `stop()` ends it. Debian's redis-server (scripts/setup-test-deps.sh).
const { spawn } = require('node:child_process');
const net = require('node:net');
const { setTimeout: sleep } = require('node:timers/promises');

/** @returns {Promise<number>} a port nobody listens on now */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** @returns {Promise<boolean>} whether a Redis server answers PING on `port` */
function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.setTimeout(500, () => socket.destroy());
    socket.on('data', (reply) => {
      resolve(reply.toString().startsWith('+PONG'));
      socket.end();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

async function launch(port) {
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let failure;
  child.on('error', (e) => (failure = new Error(`cannot start redis-server (scripts/setup-test-deps.sh installs it): ${e.message}`)));
  child.on('exit', (code) => (failure ??= new Error(`redis-server exited with ${code}: ${output}`)));
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    if (failure) throw failure;
    if (await ping(port)) {
      await sleep(100); // a server already on the port would answer while ours exits on EADDRINUSE
      if (!failure) return child;
    }
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output}`);
}

/**
 * Starts redis-server on 127.0.0.1 at a free port (three tries, in case another process takes the
 * port first).
 * @returns {Promise<{url: string, pid: number, stop: () => Promise<void>}>}
 */
async function startRedis() {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const child = await launch(port);
      const stop = () =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

module.exports = { startRedis };
