#!/usr/bin/python3
"""Checks a corpus built by scripts/prepare-data.sh: formats, levels, the split (voices, speakers, the
manifest's per-voice counts and caps) and the test set.

Usage: /usr/bin/python3 scripts/data/check_corpus.py DIR   (exit 1 and a list of problems on failure)
"""
import json
import os
import sys
import wave

import numpy as np

SR = 16000


def read(path):
    with wave.open(path, 'rb') as w:
        fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth())
        x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float64) / 32768.0
    return fmt, x


def wavs(d):
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith('.wav'))


def check_voices(man, per_voice):
    """Each voice: on disk as the manifest says (split, files, hours), not empty, within its cap;
    no speaker in both splits; the per-package totals add up."""
    problems = []
    table, stats = man['split']['voices'], man['speech']
    for (split, v), (n, secs) in sorted(per_voice.items()):
        if v not in table or table[v]['split'] != split:
            problems.append(f'speech/{split}/{v}: not a {split} voice of the manifest')
        elif stats[v]['files'] != n or abs(stats[v]['seconds'] - secs) > 0.01 * n + 0.01:
            problems.append(f'speech/{split}/{v}: {n} files, {secs:.1f} s on disk; the manifest says '
                            f'{stats[v]["files"]}, {stats[v]["seconds"]} s')
        cap = stats.get(v, {}).get('cap_minutes')
        if cap is not None and secs > cap * 60:
            problems.append(f'speech/{split}/{v}: {secs / 60:.1f} min, over its cap of {cap:g} min')
    problems += [f'speech/{t["split"]}/{v}: no files' for v, t in table.items() if (t['split'], v) not in per_voice]
    problems += [f'{v}: an added voice outside train' for v, t in table.items() if t.get('added') and t['split'] != 'train']
    speakers = {sp: {t.get('speaker_id', v) for v, t in table.items() if t['split'] == sp} for sp in ('train', 'test')}
    problems += [f'speaker {s} in both splits' for s in sorted(speakers['train'] & speakers['test'])]
    for split, tot in man['totals'].items():
        by_pkg = tot.get('by_package')
        if by_pkg is not None and sum(e['files'] for e in by_pkg.values()) != tot['speech_files']:
            problems.append(f'speech/{split}: the per-package file counts do not add up')
    return problems


def main():
    out = sys.argv[1]
    with open(os.path.join(out, 'manifest.json'), encoding='utf-8') as f:
        man = json.load(f)
    problems = []
    stats = {}
    groups = {
        'speech/train': (wavs(os.path.join(out, 'speech', 'train')), 1.0),
        'speech/test': (wavs(os.path.join(out, 'speech', 'test')), 1.0),
        'noise/train': (wavs(os.path.join(out, 'noise', 'train')), 0.5),
        'noise/test': (wavs(os.path.join(out, 'noise', 'test')), 0.5),
        'testset/clean': (wavs(os.path.join(out, 'testset', 'clean')), 1.0),
        'testset/noisy': (wavs(os.path.join(out, 'testset', 'noisy')), 1.0),
    }
    signals = {}
    per_voice = {}  # (split, voice) -> [files, seconds]
    for g, (files, min_s) in groups.items():
        if not files:
            problems.append(f'{g}: no files')
            continue
        secs, rms, peak = [], [], []
        for p in files:
            fmt, x = read(p)
            if fmt != (SR, 1, 2):
                problems.append(f'{p}: {fmt} is not 16 kHz mono 16-bit')
            r, pk = float(np.sqrt(np.mean(x ** 2))), float(np.max(np.abs(x)))
            secs.append(len(x) / SR)
            rms.append(r)
            peak.append(pk)
            if len(x) < min_s * SR:
                problems.append(f'{p}: {len(x) / SR:.2f} s, under {min_s} s')
            if r < 1e-3:
                problems.append(f'{p}: silent (RMS {r:.1e})')
            if pk >= 0.999:
                problems.append(f'{p}: clipped (peak {pk:.4f})')
            if g.startswith('testset'):
                signals[(g, os.path.basename(p))] = x
            if g.startswith('speech/'):
                v = per_voice.setdefault((g.split('/')[1], os.path.basename(os.path.dirname(p))), [0, 0.0])
                v[0] += 1
                v[1] += len(x) / SR
        rms_db = 20 * np.log10(np.array(rms))
        stats[g] = (len(files), sum(secs), rms_db.min(), np.median(rms_db), rms_db.max(), max(peak))

    # The split: voices and noise file names in one split only; the manifest agrees with the disk.
    for kind in ('speech', 'noise'):
        train = {os.path.relpath(p, os.path.join(out, kind, 'train')).split(os.sep)[0] for p in groups[f'{kind}/train'][0]}
        test = {os.path.relpath(p, os.path.join(out, kind, 'test')).split(os.sep)[0] for p in groups[f'{kind}/test'][0]}
        if train & test:
            problems.append(f'{kind}: in both splits: {sorted(train & test)[:5]}')
    srcs = {}
    for name, rec in man['noise']['recordings'].items():
        srcs.setdefault(rec['source'], set()).add(rec['split'])
    problems += [f'noise source {s} in both splits' for s, sp in srcs.items() if len(sp) > 1]
    for split in ('train', 'test'):
        if man['totals'][split]['speech_files'] != len(groups[f'speech/{split}'][0]):
            problems.append(f'speech/{split}: manifest and disk disagree')

    problems += check_voices(man, per_voice)

    # The test set: twins of equal length, the SNR and level the manifest states.
    mixtures = man['testset']['mixtures']
    if len(mixtures) != len(groups['testset/clean'][0]) or len(mixtures) != len(groups['testset/noisy'][0]):
        problems.append('testset: manifest, clean/ and noisy/ disagree on the count')
    snr_err, rms_ok = [], 0
    for m in mixtures:
        c = signals.get(('testset/clean', m['name'] + '.wav'))
        y = signals.get(('testset/noisy', m['name'] + '.wav'))
        if c is None or y is None or len(c) != len(y):
            problems.append(f'testset/{m["name"]}: missing twin or unequal lengths')
            continue
        snr = 10 * np.log10(np.sum(c ** 2) / np.sum((y - c) ** 2))
        snr_err.append(abs(snr - m['snr_db']))
        if abs(np.sqrt(np.mean(y ** 2)) - man['testset']['target_rms']) < 0.002:
            rms_ok += 1
        if not m['speech'].startswith('speech/test/') or not m['noise'].startswith('noise/test/'):
            problems.append(f'testset/{m["name"]}: uses training material')
    if snr_err and max(snr_err) > 0.1:
        problems.append(f'testset: SNR off by up to {max(snr_err):.2f} dB')

    print(f'{"check-corpus: folder":<30}{"files":>7}{"hours":>8}  RMS dBFS min/median/max   peak')
    for g, (n, s, lo, med, hi, pk) in stats.items():
        print(f'check-corpus: {g:<16}{n:>7}{s / 3600:>8.3f}  {lo:6.1f} {med:6.1f} {hi:6.1f}      {pk:.3f}')
    if snr_err:
        print(f'check-corpus: testset SNR error max {max(snr_err):.3f} dB; '
              f'{rms_ok}/{len(mixtures)} mixtures at RMS {man["testset"]["target_rms"]} (the rest peak-limited)')
    for split, tot in man['totals'].items():
        pkgs = ', '.join(f'{p} {e["hours"]:.2f}' for p, e in tot.get('by_package', {}).items())
        print(f'check-corpus: {split}: {len(tot["voices"])} voices, {tot.get("speakers", "?")} speakers; hours by package: '
              f'{pkgs or "(not in this manifest)"}')
    if problems:
        print(f'check-corpus: {len(problems)} problems:', *problems[:50], sep='\n  ')
        sys.exit(1)
    print('check-corpus: ok')


if __name__ == '__main__':
    main()
