// rg_train's DIR/log.csv as rows of numbers keyed by its header (empty when there is none yet).
const fs = require('node:fs');
const path = require('node:path');

function readLog(dir) {
  const file = path.join(dir, 'log.csv');
  if (!fs.existsSync(file)) return [];
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  if (!head) return [];
  const keys = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], Number(v)])));
}

module.exports = { readLog };
