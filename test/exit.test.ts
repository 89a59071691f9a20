// A process or worker thread may end while a model is still restoring: it must end cleanly.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const dist = path.join(__dirname, '..', 'dist');

function runChild(script: string) {
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
}

test('process.exit() in the middle of a restoration exits with its code, not a crash', () => {
  const r = runChild(`
    const { createModel } = require(${JSON.stringify(dist)});
    createModel({ preset: 'speech-small', threads: 1 }).then((m) => {
      m.restore(new Float32Array(64000).fill(0.1), { steps: 50 }).catch(() => {});
      setTimeout(() => process.exit(3), 200);
    });`);
  expect(r.signal).toBeNull();
  expect(r.status).toBe(3);
});

test('terminating a worker thread whose model is restoring leaves the process healthy', () => {
  const r = runChild(`
    const { Worker } = require('node:worker_threads');
    const w = new Worker(\`
      const { createModel } = require(${JSON.stringify(dist)});
      createModel({ preset: 'speech-small', threads: 1 }).then((m) => {
        m.restore(new Float32Array(64000).fill(0.1), { steps: 50 }).catch(() => {});
        require('node:worker_threads').parentPort.postMessage('started');
      });\`, { eval: true });
    w.once('message', () => setTimeout(async () => {
      await w.terminate();
      setTimeout(() => console.log('alive'), 300);
    }, 100));`);
  expect(r.signal).toBeNull();
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('alive');
});
