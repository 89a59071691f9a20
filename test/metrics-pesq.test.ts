import { InputError } from '../lib/errors';
import { getPesq, type PesqFunction, setPesq } from '../lib/metrics';

afterEach(() => setPesq(undefined));

test('no PESQ implementation is registered by default', () => {
  expect(getPesq()).toBeUndefined();
});

test('a registered implementation is returned and called as given, sync or async', async () => {
  const calls: [number, number, number][] = [];
  const fake: PesqFunction = (clean, degraded, sampleRate) => {
    calls.push([clean.length, degraded.length, sampleRate]);
    return 3.5;
  };
  setPesq(fake);
  expect(getPesq()).toBe(fake);
  expect(await getPesq()!(new Float32Array(8), new Float32Array(8), 16000)).toBe(3.5);
  expect(calls).toEqual([[8, 8, 16000]]);

  setPesq(async () => 4.1);
  expect(await getPesq()!(new Float32Array(1), new Float32Array(1), 8000)).toBe(4.1);
  setPesq(undefined);
  expect(getPesq()).toBeUndefined();
});

test('anything but a function or undefined is refused', () => {
  expect(() => setPesq(3.5 as unknown as PesqFunction)).toThrow(InputError);
  expect(() => setPesq(null as unknown as PesqFunction)).toThrow(/function or undefined, got object/);
  expect(getPesq()).toBeUndefined();
});
