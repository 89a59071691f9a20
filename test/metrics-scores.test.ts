/** The record of a restoration's speech metrics and the means over many (lib/metrics/scores.ts). */
import { estoi, meanScores, type SpeechScores, score, segmentalSnr, siSdr, stoi } from '../lib';
import { tonePair } from './helpers';

test('score gathers SI-SDR, segmental SNR, STOI and ESTOI of one signal', () => {
  const { clean, degraded } = tonePair(16000, 3);
  expect(score(clean, degraded, 16000)).toEqual({
    siSdr: siSdr(clean, degraded),
    segSnr: segmentalSnr(clean, degraded),
    stoi: stoi(clean, degraded, 16000),
    estoi: estoi(clean, degraded, 16000),
  });
});

test('score marks too little speech for STOI and ESTOI as NaN', () => {
  const { clean, degraded } = tonePair(2048, 3);
  const s = score(clean, degraded, 16000);
  expect(s.stoi).toBeNaN();
  expect(s.estoi).toBeNaN();
  expect(Number.isFinite(s.siSdr)).toBe(true);
});

test('meanScores averages finite values; +Infinity only when every value is', () => {
  const a: SpeechScores = { siSdr: Number.POSITIVE_INFINITY, segSnr: 10, stoi: Number.NaN, estoi: Number.POSITIVE_INFINITY };
  const b: SpeechScores = { siSdr: 4, segSnr: 20, stoi: Number.NaN, estoi: Number.POSITIVE_INFINITY };
  expect(meanScores([a, b])).toEqual({ siSdr: 4, segSnr: 15, stoi: Number.NaN, estoi: Number.POSITIVE_INFINITY });
  expect(meanScores([])).toEqual({});
});
