#!/usr/bin/python3
"""Builds the speech-enhancement corpus described in scripts/prepare-data.sh (which calls this).

Every output is written to a dot-named temporary file and renamed into place, so a file that exists
is complete. Stages record a stamp in DIR/.state when done; a run skips stamped stages and, inside
an unfinished stage, every output that already exists. Randomness is seeded per item, so resuming
an interrupted run gives the same corpus as an uninterrupted one.
"""
import argparse
import concurrent.futures as cf
import fnmatch
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
import xml.etree.ElementTree as ET
import zipfile

import numpy as np

RECIPE = 1  # bump when outputs change; a DIR built by another recipe is refused
SR = 16000
SEED = 20250601

# Speech voices. A voice is a speaker (in one language); all of a speaker's voices share a split.
# en and es are both recorded by Allison Smith, kal16 is the 16 kHz build of flite's kal.
ASTERISK = {
    'en-allison': ('asterisk-core-sounds-en-g722', 'en', 'train', 'Allison Smith (female, en-US, studio)'),
    'es-allison': ('asterisk-core-sounds-es-g722', 'es', 'train', 'Allison Smith (female, es-MX, studio)'),
    'fr-june': ('asterisk-core-sounds-fr-g722', 'fr', 'train', 'June Wallack (female, fr-CA, studio)'),
    'ru-ivrvoice': ('asterisk-core-sounds-ru-g722', 'ru', 'test', 'ivrvoice.ru (female, ru-RU, studio)'),
}
FLITE = {
    'flite-awb': ('awb', 'train', 'flite awb (male, Scottish English, statistical parametric)'),
    'flite-kal16': ('kal16', 'train', 'flite kal16 (male, US English, diphone)'),
    'flite-rms': ('rms', 'test', 'flite rms (male, US English, statistical parametric)'),
    'flite-slt': ('slt', 'test', 'flite slt (female, US English, statistical parametric)'),
}
NOISE_PKGS = {'ufoai': 'ufoai-sound', 'lincity': 'lincity-ng-data'}
TEST_NOISE_PERCENT = 20  # share of noise recording groups held out for the test split

# Sizes: (full, small). Sentences are per flite voice; asterisk = prompts kept per voice (None: all).
SIZES = {
    'sentences_train': (400, 40),
    'sentences_test': (150, 30),
    'asterisk_train': (None, 40),
    'asterisk_test': (None, 30),
    'noise_files_train': (None, 16),  # per recording package
    'noise_files_test': (None, 6),
    'pink_train': (64, 4),
    'pink_test': (8, 2),
    'babble_train': (64, 4),
    'babble_test': (8, 2),
    'mixtures': (200, 50),
}
GEN_SECONDS = 10.0  # length of each generated pink / babble file
SNRS_DB = (0, 5, 10, 15)
MIX_RMS = 0.1
PEAK_LIMIT = 0.99
NOISE_PEAK = 0.9  # noise files are peak-normalised: their level is set at mixing time
MIN_SPEECH_S = 1.0
MIN_NOISE_S = 0.5
BABBLE_POOL_SHARE = 0.25  # of each test voice's utterances, kept for test babble, never a test target


def say(msg):
    print(f'prepare-data: {msg}', flush=True)


def stable_hash(text):
    return int(hashlib.sha1(text.encode()).hexdigest()[:12], 16)


def hash_order(items, key=lambda s: s):
    """A fixed pseudo-random order that does not depend on the list's order or on Python's seed."""
    return sorted(items, key=lambda it: (stable_hash(key(it)), key(it)))


def dpkg_files(pkg):
    out = subprocess.run(['dpkg-query', '-L', pkg], check=True, capture_output=True, text=True).stdout
    return sorted(line for line in out.splitlines() if os.path.isfile(line))


def dpkg_version(pkg):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


# ---------------------------------------------------------------------------------------- audio I/O


def ffmpeg_decode(args, data=None):
    """Decodes with ffmpeg to 16 kHz mono float32; `args` are the input options and file."""
    cmd = ['ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error', *args, '-ar', str(SR), '-ac', '1', '-f', 'f32le', '-']
    r = subprocess.run(cmd, input=data, capture_output=True, stdin=None if data is not None else subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError(f"ffmpeg failed on {args[-1]}: {r.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(r.stdout, dtype=np.float32).astype(np.float64)


def write_wav(path, x):
    """16-bit PCM mono WAV through a temporary name (never ending in .wav) and a rename."""
    pcm = np.clip(np.round(np.asarray(x) * 32768.0), -32768, 32767).astype('<i2')
    tmp = os.path.join(os.path.dirname(path), f'.{os.path.basename(path)}.{os.getpid()}.part')
    with wave.open(tmp, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


def read_wav(path):
    with wave.open(path, 'rb') as w:
        if w.getframerate() != SR or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise RuntimeError(f'{path}: not 16 kHz mono 16-bit')
        return np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float64) / 32768.0


def wav_seconds(path):
    with wave.open(path, 'rb') as w:
        return w.getnframes() / w.getframerate()


def clean_tmp(root):
    """Removes temporary files that an interrupted run left behind."""
    for d, _, files in os.walk(root):
        for f in files:
            if f.startswith('.') and f.endswith('.part'):
                os.remove(os.path.join(d, f))


def trim(x, below_db, margin_s):
    """Cuts leading and trailing stretches quieter than `below_db` under the loudest 20 ms frame.

    Returns None for a silent signal. Pauses inside the signal are kept.
    """
    frame, hop = 320, 160
    if len(x) < frame:
        return None
    n = 1 + (len(x) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    db = 10 * np.log10(np.mean(x[idx] ** 2, axis=1) + 1e-12)
    top = db.max()
    if top < -50:  # loudest frame under -50 dBFS: nothing there
        return None
    active = np.nonzero(db > top - below_db)[0]
    margin = int(margin_s * SR)
    start = max(0, active[0] * hop - margin)
    end = min(len(x), active[-1] * hop + frame + margin)
    return x[start:end]


# ------------------------------------------------------------------------------------------- sources

NAMES = ['Anna', 'Peter', 'Maria', 'David', 'Laura', 'James', 'Sofia', 'Thomas', 'Emma', 'Daniel', 'Olivia',
         'Martin', 'Julia', 'Robert', 'Clara', 'Simon', 'Helen', 'Victor', 'Nora', 'George', 'Alice', 'Oscar']
ADJS = ['old', 'small', 'bright', 'heavy', 'quiet', 'broken', 'yellow', 'wooden', 'strange', 'empty', 'warm',
        'narrow', 'famous', 'careful', 'tired', 'green', 'sharp', 'golden', 'modern', 'simple', 'crowded', 'silver']
NOUNS = [('book', 'books'), ('letter', 'letters'), ('chair', 'chairs'), ('window', 'windows'),
         ('bottle', 'bottles'), ('ticket', 'tickets'), ('garden', 'gardens'), ('engine', 'engines'),
         ('basket', 'baskets'), ('picture', 'pictures'), ('record', 'records'), ('lamp', 'lamps'),
         ('box', 'boxes'), ('coat', 'coats'), ('map', 'maps'), ('bicycle', 'bicycles'), ('clock', 'clocks'),
         ('candle', 'candles'), ('blanket', 'blankets'), ('camera', 'cameras'), ('key', 'keys'), ('radio', 'radios')]
PLACES = ['kitchen', 'station', 'library', 'market', 'harbour', 'office', 'museum', 'bridge', 'garage',
          'hospital', 'bakery', 'school', 'airport', 'theatre', 'village square', 'hotel lobby', 'river bank']
VERBS = [('carry', 'carried'), ('paint', 'painted'), ('find', 'found'), ('move', 'moved'), ('clean', 'cleaned'),
         ('sell', 'sold'), ('open', 'opened'), ('fix', 'fixed'), ('bring', 'brought'), ('check', 'checked'),
         ('borrow', 'borrowed'), ('wrap', 'wrapped'), ('lose', 'lost'), ('watch', 'watched'), ('count', 'counted')]
ADVS = ['slowly', 'quickly', 'carefully', 'quietly', 'happily', 'suddenly', 'gently', 'easily', 'rarely', 'often']
PREPS = ['near', 'behind', 'inside', 'next to', 'across from', 'outside', 'above', 'under', 'beside']
TIMES = ['this morning', 'last night', 'on Monday', 'after lunch', 'before dinner', 'yesterday',
         'on Friday evening', 'next week', 'in the spring', 'at midnight', 'every Sunday', 'in October']
NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'twelve', 'twenty', 'forty']
HOURS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve']
MINUTES = ['fifteen', 'thirty', 'forty five', 'ten', 'twenty', "o'clock"]
TEMPLATES = [
    '{name} {ved} the {adj} {noun} {prep} the {place}.',
    'Did you see the {adj} {noun} {time}?',
    'The {noun} was {adv} {ved} {prep} the {place} {time}.',
    'Please put the {adj} {nouns} {prep} the {place} before {name} comes back.',
    '{num} {adj} {nouns} were waiting {prep} the {place} {time}.',
    'We should {v} the {noun} {adv}, {name} said.',
    'It is not easy to {v} a {adj} {noun} {prep} the {place}.',
    'How many {nouns} did {name} {v} {time}?',
    'The {place} closes at {hour} {minute}, so {name} {ved} the {noun} early.',
    '{name} and {name2} {ved} {num} {adj} {nouns} {time}.',
    'If the {noun} is still {adj} {time}, {name} will {v} it {adv}.',
    'Nobody knew why the {adj} {noun} stood {prep} the {place}.',
]


def make_sentences(seed, count, exclude=()):
    """`count` distinct sentences from the word lists, none of them in `exclude`."""
    rng = random.Random(seed)
    out, seen = [], set(exclude)
    while len(out) < count:
        noun, nouns = rng.choice(NOUNS)
        v, ved = rng.choice(VERBS)
        name, name2 = rng.sample(NAMES, 2)
        s = rng.choice(TEMPLATES).format(
            name=name, name2=name2, adj=rng.choice(ADJS), noun=noun, nouns=nouns, place=rng.choice(PLACES),
            v=v, ved=ved, adv=rng.choice(ADVS), prep=rng.choice(PREPS), time=rng.choice(TIMES),
            num=rng.choice(NUMBERS), hour=rng.choice(HOURS), minute=rng.choice(MINUTES))
        s = s[0].upper() + s[1:]
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def safe_name(text):
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', text).strip('_')


def asterisk_sources(voice, small):
    pkg, _, split, _ = ASTERISK[voice]
    files = [f for f in dpkg_files(pkg) if f.endswith('.g722')]
    if not files:
        raise RuntimeError(f'{pkg} installs no .g722 files')
    root = os.path.commonpath([os.path.dirname(f) for f in files])
    # G.722 codes 16 kHz audio in 4 bits a sample: files under 1 s (8000 bytes) cannot be kept.
    files = [f for f in files if os.path.getsize(f) >= MIN_SPEECH_S * 8000]
    items = []
    for f in files:
        rel = os.path.relpath(f, root)[: -len('.g722')]
        items.append({'src': f, 'name': safe_name(rel.replace('/', '_')) + '.wav', 'kind': 'g722'})
    if small:
        limit = SIZES[f'asterisk_{split}'][1]
        # Prompts of about 1.5 s or more nearly always survive trimming, so the count is met.
        items = hash_order([i for i in items if os.path.getsize(i['src']) >= 12000], key=lambda i: voice + i['name'])[:limit]
    return items


def flite_sources(voice, sentences):
    return [{'src': s, 'name': f'{i:04d}.wav', 'kind': 'flite', 'voice': FLITE[voice][0]} for i, s in enumerate(sentences)]


def noise_sources(small):
    """The recordings of both noise packages, each with its split (by a hash of its group)."""
    items = []
    for pkg in dpkg_files(NOISE_PKGS['ufoai']):
        if not pkg.endswith('.pk3'):
            continue
        with zipfile.ZipFile(pkg) as z:
            for m in sorted(z.namelist()):
                if m.startswith('sound/') and m.endswith(('.ogg', '.wav')):
                    items.append({'pkg': 'ufoai', 'src': pkg, 'member': m, 'rel': m})
    for f in dpkg_files(NOISE_PKGS['lincity']):
        if f.endswith(('.ogg', '.wav')) and '/lincity-ng/' in f:
            items.append({'pkg': 'lincity', 'src': f, 'rel': f.split('/lincity-ng/', 1)[1]})
    for it in items:
        stem = os.path.splitext(it['rel'])[0]
        stem = stem[len('sound/'):] if stem.startswith('sound/') else stem
        it['name'] = f"{it['pkg']}-{safe_name(stem.replace('/', '-'))}.wav"
        # Numbered variants of one sound (hurt1, hurt2...) form a group and stay in one split.
        group = re.sub(r'[\d_\- ]+$', '', stem)
        it['split'] = 'test' if stable_hash(f"{it['pkg']}:{group}") % 100 < TEST_NOISE_PERCENT else 'train'
    if len({i['name'] for i in items}) != len(items):
        raise RuntimeError('two noise recordings map to one file name')
    if small:
        kept = []
        for pkg in NOISE_PKGS:
            for split in ('train', 'test'):
                pool = [i for i in items if i['pkg'] == pkg and i['split'] == split]
                kept += hash_order(pool, key=lambda i: i['name'])[: SIZES[f'noise_files_{split}'][1]]
        items = kept
    return items


# -------------------------------------------------------------------------------------------- stages


def run_parallel(fn, items, jobs):
    results = []
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        for r in pool.map(fn, items):
            results.append(r)
    return results


def speech_task(item):
    """Decodes, checks and trims one utterance; returns (status, seconds)."""
    dst = item['dst']
    if os.path.exists(dst):
        return 'existing', wav_seconds(dst)
    if item['kind'] == 'g722':
        x = ffmpeg_decode(['-f', 'g722', '-i', item['src']])
        expected = 2 * os.path.getsize(item['src'])  # two 4-bit codes per byte, one per 16 kHz sample
        if abs(len(x) - expected) > 64:
            raise RuntimeError(f"{item['src']}: decoded {len(x)} samples, expected {expected}: check ffmpeg's G.722 rate")
    else:
        with tempfile.TemporaryDirectory(prefix='rg-flite-') as tmp:
            out = os.path.join(tmp, 'x.wav')
            subprocess.run(['flite', '-voice', item['voice'], '-t', item['src'], '-o', out], check=True, capture_output=True)
            with wave.open(out, 'rb') as w:
                native = (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SR, 1, 2)
            # Most voices speak 16 kHz 16-bit already: read those directly, resample the others.
            x = read_wav(out) if native else ffmpeg_decode(['-i', out])
    if np.max(np.abs(x), initial=0) >= 0.999:
        return 'clipped', 0.0
    y = trim(x - np.mean(x), below_db=40, margin_s=0.15)
    if y is None:
        return 'silent', 0.0
    if len(y) < MIN_SPEECH_S * SR:
        return 'short', 0.0
    write_wav(dst, y)
    return 'written', len(y) / SR


def stage_speech(out, small, jobs, sentences):
    stats = {}
    for voice in list(ASTERISK) + list(FLITE):
        split = ASTERISK[voice][2] if voice in ASTERISK else FLITE[voice][1]
        d = os.path.join(out, 'speech', split, voice)
        os.makedirs(d, exist_ok=True)
        items = asterisk_sources(voice, small) if voice in ASTERISK else flite_sources(voice, sentences[split])
        for it in items:
            it['dst'] = os.path.join(d, it['name'])
        if len({it['dst'] for it in items}) != len(items):
            raise RuntimeError(f'{voice}: two sources map to one file name')
        t0 = time.time()
        res = run_parallel(speech_task, items, jobs)
        count = {k: sum(1 for s, _ in res if s == k) for k in ('written', 'existing', 'short', 'silent', 'clipped')}
        secs = sum(t for _, t in res)
        kept = count['written'] + count['existing']
        say(f'speech/{split}/{voice}: {kept} files, {secs / 60:.1f} min ({count["written"]} written, '
            f'{count["existing"]} already there; skipped {count["short"]} under {MIN_SPEECH_S:g} s, '
            f'{count["silent"]} silent, {count["clipped"]} clipped) in {time.time() - t0:.1f} s')
        stats[voice] = {'split': split, 'files': kept, 'seconds': round(secs, 2),
                        'skipped': {k: count[k] for k in ('short', 'silent', 'clipped')}}
    return stats


def noise_task(item):
    dst = item['dst']
    if os.path.exists(dst):
        return 'existing', wav_seconds(dst)
    if item['pkg'] == 'ufoai':
        with zipfile.ZipFile(item['src']) as z:
            data = z.read(item['member'])
        x = ffmpeg_decode(['-i', 'pipe:0'], data=data)
    else:
        x = ffmpeg_decode(['-i', item['src']])
    y = trim(x - np.mean(x), below_db=50, margin_s=0.05)
    if y is None:
        return 'silent', 0.0
    if len(y) < MIN_NOISE_S * SR:
        return 'short', 0.0
    write_wav(dst, y * (NOISE_PEAK / np.max(np.abs(y))))
    return 'written', len(y) / SR


def stage_noise(out, small, jobs):
    items = noise_sources(small)
    for split in ('train', 'test'):
        os.makedirs(os.path.join(out, 'noise', split), exist_ok=True)
    for it in items:
        it['dst'] = os.path.join(out, 'noise', it['split'], it['name'])
    t0 = time.time()
    res = run_parallel(noise_task, items, jobs)
    files = {}
    for it, (status, secs) in zip(items, res):
        if status in ('written', 'existing'):
            files[it['name']] = {'package': NOISE_PKGS[it['pkg']], 'source': it.get('member', it['src']),
                                 'split': it['split'], 'seconds': round(secs, 2)}
    written = sum(1 for s, _ in res if s == 'written')
    skipped = sum(1 for s, _ in res if s in ('short', 'silent'))
    for split in ('train', 'test'):
        sel = [f for f in files.values() if f['split'] == split]
        say(f'noise/{split}: {len(sel)} recordings, {sum(f["seconds"] for f in sel) / 60:.1f} min')
    say(f'noise recordings: {written} written, {len(files) - written} already there, '
        f'{skipped} skipped (under {MIN_NOISE_S:g} s or silent) in {time.time() - t0:.1f} s')
    return files


def pink_noise(seed, n):
    rng = np.random.default_rng([SEED, 1, seed])
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec *= 1 / np.sqrt(np.maximum(f, 20.0))  # 1/f power; flat under 20 Hz
    spec[0] = 0
    return np.fft.irfft(spec, n)


def babble_noise(seed, n, pool):
    """A sum of 5-9 talker streams; each concatenates utterances of one voice with short gaps."""
    rng = np.random.default_rng([SEED, 2, seed])
    voices = sorted(pool)
    out = np.zeros(n)
    for _ in range(int(rng.integers(5, 10))):
        files = pool[voices[int(rng.integers(len(voices)))]]
        stream, length = [], 0
        while length < n + SR:
            u = read_wav(files[int(rng.integers(len(files)))])
            u = u / (np.sqrt(np.mean(u ** 2)) + 1e-9)
            gap = np.zeros(int(rng.integers(0, int(0.4 * SR))))
            stream += [u, gap]
            length += len(u) + len(gap)
        s = np.concatenate(stream)
        start = int(rng.integers(0, len(s) - n + 1))
        out += s[start:start + n]
    return out


def babble_pools(out, speech_stats):
    """Utterances per voice for babble: all of train; a fixed quarter of each test voice (never targets)."""
    pools = {'train': {}, 'test': {}}
    for voice, st in speech_stats.items():
        d = os.path.join(out, 'speech', st['split'], voice)
        names = sorted(f for f in os.listdir(d) if f.endswith('.wav'))
        if st['split'] == 'test':
            names = hash_order(names, key=lambda n, v=voice: f'babble:{v}:{n}')[: max(1, int(len(names) * BABBLE_POOL_SHARE))]
        pools[st['split']][voice] = [os.path.join(d, n) for n in sorted(names)]
    return pools


def stage_generated(out, small, jobs, speech_stats):
    pools = babble_pools(out, speech_stats)
    n = int(GEN_SECONDS * SR)
    tasks = []
    for split in ('train', 'test'):
        for kind in ('pink', 'babble'):
            for i in range(SIZES[f'{kind}_{split}'][1 if small else 0]):
                # Seeds differ between splits, so no generated test file repeats a training one.
                tasks.append((split, kind, i, (0 if split == 'train' else 100000) + i))

    def task(t):
        split, kind, i, seed = t
        dst = os.path.join(out, 'noise', split, f'{kind}-{split}-{i:03d}.wav')
        if os.path.exists(dst):
            return False
        x = pink_noise(seed, n) if kind == 'pink' else babble_noise(seed, n, pools[split])
        write_wav(dst, x * (NOISE_PEAK / np.max(np.abs(x))))
        return True

    t0 = time.time()
    written = sum(run_parallel(task, tasks, jobs))
    for split in ('train', 'test'):
        counts = {k: sum(1 for t in tasks if t[0] == split and t[1] == k) for k in ('pink', 'babble')}
        say(f'noise/{split}: {counts["pink"]} pink + {counts["babble"]} babble files of {GEN_SECONDS:g} s '
            f'(babble from {", ".join(sorted(pools[split]))})')
    say(f'generated noise: {written} written, {len(tasks) - written} already there in {time.time() - t0:.1f} s')
    return {
        'seconds_each': GEN_SECONDS,
        'files': {s: {k: sum(1 for t in tasks if t[0] == s and t[1] == k) for k in ('pink', 'babble')} for s in ('train', 'test')},
        'babble_sources': {s: {v: len(p) for v, p in pools[s].items()} for s in ('train', 'test')},
    }


def noise_category(name):
    return name.split('-', 1)[0]


def plan_testset(out, count, speech_stats, babble_pool):
    """Draws every mixture up front, so rendering can resume anywhere with the same result."""
    rng = np.random.default_rng([SEED, 3])
    targets = {}
    for voice, st in speech_stats.items():
        if st['split'] != 'test':
            continue
        d = os.path.join(out, 'speech', 'test', voice)
        reserved = set(babble_pool.get(voice, []))
        files = [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith('.wav')]
        targets[voice] = [f for f in files if f not in reserved]
        rng.shuffle(targets[voice])
    noise_dir = os.path.join(out, 'noise', 'test')
    by_cat = {}
    for f in sorted(os.listdir(noise_dir)):
        if f.endswith('.wav'):
            by_cat.setdefault(noise_category(f), []).append(f)
    cats = sorted(by_cat)
    voices = sorted(targets)
    # Voices, noise kinds and SNRs each come up equally often, in independent shuffled orders.
    order_v = rng.permutation(count) % len(voices)
    order_c = rng.permutation(count) % len(cats)
    order_s = rng.permutation(count) % len(SNRS_DB)
    used = {v: 0 for v in voices}
    plan = []
    for i in range(count):
        v = voices[order_v[i]]
        speech = targets[v][used[v] % len(targets[v])]
        used[v] += 1
        cat = cats[order_c[i]]
        noise = by_cat[cat][int(rng.integers(len(by_cat[cat])))]
        snr = SNRS_DB[order_s[i]]
        plan.append({'name': f'{i:03d}_snr{snr:02d}_{v}_{cat}', 'speech': os.path.relpath(speech, out),
                     'noise': f'noise/test/{noise}', 'snr_db': snr, 'seed': i})
    return plan


def noise_segment(noise, n, rng):
    """`n` samples of `noise` (looped when shorter) from a random start that is not near-silent."""
    reps = -(-(n + len(noise)) // len(noise))
    looped = np.tile(noise, reps)
    level = np.sqrt(np.mean(noise ** 2))
    for _ in range(20):
        start = int(rng.integers(0, len(noise)))
        seg = looped[start:start + n]
        if np.sqrt(np.mean(seg ** 2)) > 0.25 * level:
            break
    return seg, start


def stage_testset(out, small, jobs, speech_stats, babble_pool):
    count = SIZES['mixtures'][1 if small else 0]
    plan = plan_testset(out, count, speech_stats, babble_pool)
    for sub in ('clean', 'noisy'):
        os.makedirs(os.path.join(out, 'testset', sub), exist_ok=True)

    def task(item):
        clean_p = os.path.join(out, 'testset', 'clean', item['name'] + '.wav')
        noisy_p = os.path.join(out, 'testset', 'noisy', item['name'] + '.wav')
        rng = np.random.default_rng([SEED, 4, item['seed']])
        s = read_wav(os.path.join(out, item['speech']))
        noise, start = noise_segment(read_wav(os.path.join(out, item['noise'])), len(s), rng)
        k = np.sqrt(np.mean(s ** 2) / (np.mean(noise ** 2) * 10 ** (item['snr_db'] / 10)))
        mix = s + k * noise
        gain = MIX_RMS / np.sqrt(np.mean(mix ** 2))
        gain = min(gain, PEAK_LIMIT / max(np.max(np.abs(mix)), np.max(np.abs(s))))  # never clip
        info = {'noise_offset': start, 'gain': round(float(gain), 6), 'rms': round(float(gain * np.sqrt(np.mean(mix ** 2))), 5),
                'seconds': round(len(s) / SR, 3)}
        if os.path.exists(clean_p) and os.path.exists(noisy_p):
            return info, False
        write_wav(clean_p, gain * s)  # clean first: a noisy file exists only beside its clean twin
        write_wav(noisy_p, gain * mix)
        return info, True

    t0 = time.time()
    res = run_parallel(task, plan, jobs)
    for item, (info, _) in zip(plan, res):
        item.update(info)
        del item['seed']
    written = sum(1 for _, w in res if w)
    limited = sum(1 for it in plan if it['rms'] < MIX_RMS * 0.999)
    say(f'testset: {len(plan)} mixtures of test speech and test noise at {"/".join(map(str, SNRS_DB))} dB, '
        f'{written} written, {len(plan) - written} already there ({limited} scaled below RMS {MIX_RMS} to stay under '
        f'peak {PEAK_LIMIT}) in {time.time() - t0:.1f} s')
    return plan


# ----------------------------------------------------------------------------------------- licences


def dep5(path):
    """Paragraphs of a machine-readable copyright file as dicts of field -> text (None if not DEP-5)."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    if not text.startswith('Format:'):
        return None
    paras = []
    for block in re.split(r'\n[ \t]*\n', text):
        fields, key = {}, None
        for line in block.splitlines():
            m = re.match(r'^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$', line)
            if m:
                key = m.group(1)
                fields[key] = m.group(2)
            elif key and line[:1] in (' ', '\t'):
                fields[key] += '\n' + line.strip()
        if fields:
            paras.append(fields)
    return paras


def dep5_match(paras, path):
    """The last Files paragraph whose patterns match `path` (the rule of the format)."""
    found = None
    for p in paras:
        if 'Files' in p and any(fnmatch.fnmatchcase(path, pat) for pat in p['Files'].split()):
            found = p
    return found


def lines_of(text):
    return [re.sub(r'\s+', ' ', ln).strip() for ln in (text or '').splitlines() if ln.strip() not in ('', '.')]


def one_line(text):
    """A DEP-5 field on one line, repeated entries dropped."""
    return '; '.join(dict.fromkeys(lines_of(text)))


def credit_items(text):
    """A DEP-5 comment as nested list items: 'Recorded by:' and the lines under it become one item."""
    lines = [ln for ln in lines_of(text) if not ln.startswith('License:') and not ln.rstrip(':').endswith('CREDITS file')]
    if not any(ln.endswith(':') for ln in lines):  # prose
        return f'\n  - {" ".join(lines)}' if lines else ''
    items = []
    for ln in lines:
        if ln.endswith(':') or not items:
            items.append(ln)
        else:
            items[-1] += (' ' if items[-1].endswith(':') else ', ') + ln
    return ''.join(f'\n  - {it}' for it in items)


def lincity_sound_credits():
    """The 'Sound and Music' people of LinCity-NG's credits screen (the CREDITS its copyright file cites)."""
    path = next((f for f in dpkg_files(NOISE_PKGS['lincity']) if f.endswith('/gui/creditslist.xml')), None)
    if not path:
        return []
    names, inside = [], False
    for p in ET.parse(path).getroot().iter('p'):
        if p.get('style') == 'section':
            inside = (p.text or '').strip() == 'Sound and Music'
        elif inside and p.get('style') == 'person':
            names.append(' '.join(''.join(p.itertext()).split()))
    return names


def write_licences(out, packages, noise_files):
    lic_dir = os.path.join(out, 'licenses')
    os.makedirs(lic_dir, exist_ok=True)
    for pkg in [p for p, *_ in ASTERISK.values()] + list(NOISE_PKGS.values()) + ['flite', 'libflite1']:
        src = f'/usr/share/doc/{pkg}/copyright'
        if os.path.exists(src):
            tmp = os.path.join(lic_dir, f'.{pkg}.part')
            shutil.copyfile(src, tmp)
            os.replace(tmp, os.path.join(lic_dir, f'{pkg}.copyright'))
    L = ['# Licences of the data in this folder', '',
         'Everything here was derived from Debian packages by scripts/prepare-data.sh: decoded, resampled to',
         '16 kHz mono, trimmed, level-scaled and (in testset/) mixed. **The original works have been modified.**',
         'Each package\'s full copyright file is copied to `licenses/PACKAGE.copyright`.', '']
    L += ['## Speech', '']
    for voice, (pkg, lang, split, who) in ASTERISK.items():
        paras = dep5(f'/usr/share/doc/{pkg}/copyright') or []
        p = dep5_match(paras, f'{lang}-sounds') or {}
        L.append(f'- `speech/{split}/{voice}/`: {pkg} {packages[pkg]}, {who}. Licence: **{p.get("License", "?").splitlines()[0]}**, '
                 f'copyright {one_line(p.get("Copyright"))}.{credit_items(p.get("Comment"))}')
    L.append(f'- `speech/*/flite-*/`: synthesised by flite {packages["flite"]} with the voices built into libflite1 '
             f'{packages["libflite1"]} (awb, kal16, rms, slt; CMU ARCTIC / CMU diphone voices). Flite and its voices: '
             'Copyright (c) 1999-2001 Language Technologies Institute, Carnegie Mellon University; free use and '
             'distribution with the copyright notice kept, modifications marked and authors\' names not removed or '
             'used for endorsement (see licenses/flite.copyright). The sentences are generated by the script.')
    L += ['', '## Noise recordings', '']
    lin = dep5('/usr/share/doc/lincity-ng-data/copyright') or []
    lp = dep5_match(lin, 'data/sounds/x.wav') or {}
    L.append(f'- `noise/*/lincity-*.wav`: lincity-ng-data {packages["lincity-ng-data"]}, LinCity-NG. Licence: '
             f'**{lp.get("License", "?").splitlines()[0]}**, copyright {one_line(lp.get("Copyright"))}.'
             f'{credit_items(lp.get("Comment"))}')
    artists = lincity_sound_credits()
    if artists:
        L.append(f'  - Sound and music, from the game\'s credits: {", ".join(artists)}')
    L.append(f'- `noise/*/ufoai-*.wav`: ufoai-sound {packages["ufoai-sound"]}, UFO: Alien Invasion; licences per file below.')
    uf = dep5('/usr/share/doc/ufoai-sound/copyright') or []
    L += ['', '| file | split | licence | copyright holders of its group |', '|---|---|---|---|']
    for name in sorted(noise_files):
        f = noise_files[name]
        if f['package'] != 'ufoai-sound':
            continue
        p = dep5_match(uf, 'base/' + f['source']) or {}
        holders = one_line(p.get('Copyright')).replace('|', '/')
        L.append(f'| {name} | {f["split"]} | {p.get("License", "?").splitlines()[0]} | {holders} |')
    L += ['', '## Generated', '',
          '- `noise/*/pink-*.wav`: pink noise generated by the script (no third-party material).',
          '- `noise/*/babble-*.wav`: sums of speech files of the same split; they carry the licences of those voices.',
          '- `testset/`: mixtures of `speech/test` and `noise/test`; each carries the licences of its speech and its '
          'noise (listed in manifest.json).', '']
    tmp = os.path.join(out, '.LICENSES.md.part')
    with open(tmp, 'w', encoding='utf-8') as fh:
        fh.write('\n'.join(L))
    os.replace(tmp, os.path.join(out, 'LICENSES.md'))


# -------------------------------------------------------------------------------------------- driver


def write_json(path, obj):
    tmp = os.path.join(os.path.dirname(path), f'.{os.path.basename(path)}.part')
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write('\n')
    os.replace(tmp, path)


def stage(out, name, fingerprint, fn):
    """Runs `fn` unless its stamp says it is done; returns its result either way."""
    stamp = os.path.join(out, '.state', f'{name}.json')
    if os.path.exists(stamp):
        with open(stamp, encoding='utf-8') as f:
            saved = json.load(f)
        if saved.get('fingerprint') == fingerprint:
            say(f'{name}: done before, skipped')
            return saved['result'], False
    result = fn()
    write_json(stamp, {'fingerprint': fingerprint, 'result': result})
    return result, True


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('out')
    ap.add_argument('--small', action='store_true')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    mode = 'small' if a.small else 'full'
    os.makedirs(os.path.join(out, '.state'), exist_ok=True)
    recipe_p = os.path.join(out, '.state', 'recipe.json')
    recipe = {'recipe': RECIPE, 'mode': mode}
    if os.path.exists(recipe_p):
        with open(recipe_p, encoding='utf-8') as f:
            old = json.load(f)
        if old != recipe:
            sys.exit(f"prepare-data: {out} holds a {old.get('mode')} corpus of recipe {old.get('recipe')}, not a {mode} "
                     f'one of recipe {RECIPE}: remove it or choose another folder')
    else:
        write_json(recipe_p, recipe)

    t_all = time.time()
    clean_tmp(out)
    pkgs = sorted({p for p, *_ in ASTERISK.values()} | set(NOISE_PKGS.values()) | {'flite', 'libflite1', 'ffmpeg', 'python3-numpy'})
    packages = {p: dpkg_version(p) for p in pkgs}
    voices = set(re.sub(r'^.*:', '', subprocess.run(['flite', '-lv'], capture_output=True, text=True).stdout).split())
    missing = {v for v, *_ in FLITE.values()} - voices
    if missing:
        sys.exit(f'prepare-data: flite lacks the voices {sorted(missing)} (it lists {sorted(voices)})')

    fp = dict(recipe)
    n_train = SIZES['sentences_train'][1 if a.small else 0]
    n_test = SIZES['sentences_test'][1 if a.small else 0]
    train_sent = make_sentences(SEED, n_train)
    sentences = {'train': train_sent, 'test': make_sentences(SEED + 1, n_test, exclude=train_sent)}
    os.makedirs(os.path.join(out, 'text'), exist_ok=True)
    for split, lines in sentences.items():
        p = os.path.join(out, 'text', f'{split}.tsv')
        if not os.path.exists(p):
            tmp = p + '.part'
            with open(tmp, 'w', encoding='utf-8') as f:
                f.writelines(f'{i:04d}\t{s}\n' for i, s in enumerate(lines))
            os.replace(tmp, p)

    speech, c1 = stage(out, 'speech', fp, lambda: stage_speech(out, a.small, a.jobs, sentences))
    noise, c2 = stage(out, 'noise', fp, lambda: stage_noise(out, a.small, a.jobs))
    generated, c3 = stage(out, 'generated-noise', fp, lambda: stage_generated(out, a.small, a.jobs, speech))
    pool = {v: [os.path.abspath(p) for p in ps] for v, ps in babble_pools(out, speech)['test'].items()}
    testset, c4 = stage(out, 'testset', fp, lambda: stage_testset(out, a.small, a.jobs, speech, pool))

    manifest_p = os.path.join(out, 'manifest.json')
    if not (c1 or c2 or c3 or c4) and os.path.exists(manifest_p) and os.path.exists(os.path.join(out, 'LICENSES.md')):
        with open(manifest_p, encoding='utf-8') as f:
            old = json.load(f)
        changed = {p: (old['packages'].get(p), v) for p, v in packages.items() if old['packages'].get(p) != v}
        if changed:
            say(f'note: packages changed since this corpus was built (built with, now): {changed}')
        say(f'{out} is up to date ({time.time() - t_all:.1f} s)')
        return

    split_totals = {}
    for split in ('train', 'test'):
        vs = {v: s for v, s in speech.items() if s['split'] == split}
        gen = generated['files'][split]
        rec = [f for f in noise.values() if f['split'] == split]
        split_totals[split] = {
            'voices': sorted(vs),
            'speech_files': sum(s['files'] for s in vs.values()),
            'speech_hours': round(sum(s['seconds'] for s in vs.values()) / 3600, 3),
            'noise_recordings': {k: sum(1 for f in rec if f['package'] == p) for k, p in NOISE_PKGS.items()},
            'noise_recording_minutes': round(sum(f['seconds'] for f in rec) / 60, 2),
            'noise_generated': gen,
        }
    manifest = {
        'recipe': RECIPE,
        'mode': mode,
        'format': {'sample_rate': SR, 'channels': 1, 'encoding': 'PCM 16-bit WAV'},
        'split': {
            'rule': 'Speakers and noise recordings are disjoint between train and test. Speech: by voice (below). '
                    f'Noise recordings: by a SHA-1 of package:group, where the group is the file path without its '
                    f'trailing number, {TEST_NOISE_PERCENT}% of groups to test. Pink and babble noise are generated '
                    'per split with different seeds; babble sums speech of the same split only (test babble uses '
                    f'a fixed {BABBLE_POOL_SHARE:.0%} of each test voice, never used as a test-set target).',
            'voices': {v: {'split': s, 'source': p, 'speaker': who} for v, (p, _, s, who) in ASTERISK.items()}
            | {v: {'split': s, 'source': 'flite', 'speaker': who} for v, (_, s, who) in FLITE.items()},
        },
        'totals': split_totals,
        'speech': speech,
        'noise': {'recordings': noise, 'generated': generated},
        'sentences': {'train': 'text/train.tsv', 'test': 'text/test.tsv', 'note': 'flite voices: file NNNN.wav speaks line NNNN'},
        'testset': {'count': len(testset), 'snrs_db': list(SNRS_DB), 'target_rms': MIX_RMS, 'peak_limit': PEAK_LIMIT,
                    'mixtures': testset},
        'packages': packages,
        'tools': {'numpy': np.__version__, 'python': sys.version.split()[0]},
    }
    write_licences(out, packages, noise)
    write_json(manifest_p, manifest)
    for split, t in split_totals.items():
        gen = t['noise_generated']
        say(f'{split}: {t["speech_hours"]:.2f} h of speech in {t["speech_files"]} files, {len(t["voices"])} voices; '
            f'{sum(t["noise_recordings"].values())} noise recordings ({t["noise_recording_minutes"]:.1f} min) '
            f'+ {gen["pink"]} pink + {gen["babble"]} babble')
    say(f'testset: {len(testset)} mixtures; wrote manifest.json and LICENSES.md ({time.time() - t_all:.1f} s)')


if __name__ == '__main__':
    try:
        main()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        sys.exit(f'prepare-data: error: {e}')
