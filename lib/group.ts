/**
 * Data-parallel training groups: what {@link Model.joinGroup} takes, checked and parsed.
 */
import { InputError } from './errors';
import { checkInt, checkKeys } from './validate';

/** Where and as what a process joins a data-parallel training group. */
export interface GroupOptions {
  /** Rank 0's `host:port` (IPv4 address or name), reachable from every rank; rank 0 listens on it. */
  master: string;
  /** This process's rank, in [0, worldSize); rank 0's model state is everyone's at the start. */
  rank: number;
  /** Number of processes in the group. */
  worldSize: number;
  /** How long to wait for the other ranks, when joining and at each step (default 120,000 ms). */
  timeoutMs?: number;
}

/** A model's place in its group. */
export interface GroupMembership {
  /** This process's rank, in [0, worldSize). */
  rank: number;
  /** Number of processes in the group. */
  worldSize: number;
}

/** A checked group: the master split into host and port. */
export interface Group {
  host: string;
  port: number;
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

const groupKeys = ['master', 'rank', 'worldSize', 'timeoutMs'] as const;

/** `host:port` → its parts; E_INPUT for anything else. */
export function parseMaster(master: unknown): { host: string; port: number } {
  const m = typeof master === 'string' ? /^([^\s:]+):(\d{1,5})$/.exec(master) : null;
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new InputError(`master must be 'host:port' with a port in [1, 65535], got ${String(master)}`);
  return { host: m[1], port };
}

/** Checks every field of `options`; E_INPUT names the first bad one. */
export function checkGroup(options: GroupOptions): Group {
  if (options === null || typeof options !== 'object') throw new InputError('group options must be an object');
  checkKeys(options, groupKeys, 'group options');
  const { host, port } = parseMaster(options.master);
  const worldSize = checkInt(options.worldSize, 'worldSize', 1, 4096);
  const rank = checkInt(options.rank, 'rank', 0, worldSize - 1);
  const timeoutMs = checkInt(options.timeoutMs, 'timeoutMs', 1, 86_400_000, 120_000);
  return { host, port, rank, worldSize, timeoutMs };
}
