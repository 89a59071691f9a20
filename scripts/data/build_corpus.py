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

sys.dont_write_bytecode = True  # leaves no __pycache__ beside the scripts
import phrases  # noqa: E402  (the sentence slots of the added voices, beside this file)

RECIPE = 2  # bump when outputs change; a DIR built by another recipe is refused (2: the added voices)
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
    'added_sentences': (150, 4),  # per added festival / espeak-ng voice (~10 min in full)
    'added_utterances': (None, 3),  # per added clip voice (None: up to VOICE_CAP_S)
}
GEN_SECONDS = 10.0  # length of each generated pink / babble file
SNRS_DB = (0, 5, 10, 15)
MIX_RMS = 0.1
PEAK_LIMIT = 0.99
NOISE_PEAK = 0.9  # noise files are peak-normalised: their level is set at mixing time
MIN_SPEECH_S = 1.0
MIN_NOISE_S = 0.5
BABBLE_POOL_SHARE = 0.25  # of each test voice's utterances, kept for test babble, never a test target

# Speaker of each voice above: voices of one speaker share a split, and no test speaker may train.
SPEAKER = {'en-allison': 'allison', 'es-allison': 'allison', 'fr-june': 'june', 'ru-ivrvoice': 'ivrvoice-ru',
           'flite-awb': 'awb', 'flite-kal16': 'kal', 'flite-rms': 'rms', 'flite-slt': 'slt'}

# Added training voices (recipe 2): all train, never a test speaker (no slt or rms build of any engine).
# Their stage comes after the voices above, which it leaves as they were, and babble noise is still
# made of those voices only, so the noise and the test set stay those of recipe 1.
FESTIVAL = {  # folder: (festival voice, package, language, speaker, who)
    'festival-kal': ('kal_diphone', 'festvox-kallpc16k', 'en', 'kal', 'kal (male, US English, diphone; the speaker of flite kal16)'),
    'festival-ked': ('ked_diphone', 'festvox-kdlpc16k', 'en', 'ked', 'ked (male, US English, diphone)'),
    'festival-it-lp': ('lp_diphone', 'festvox-italp16k', 'it', 'it-lp', 'lp (female, Italian, diphone)'),
    'festival-it-pc': ('pc_diphone', 'festvox-itapc16k', 'it', 'it-pc', 'pc (male, Italian, diphone)'),
    'festival-ca-ona': ('upc_ca_ona_hts', 'festvox-ca-ona-hts', 'ca', 'ona', 'Ona (female, Catalan, HTS statistical parametric)'),
    'festival-cs-dita': ('czech_dita', 'festvox-czech-dita', 'cs', 'dita', 'Dita (female adult, Czech, diphone)'),
    'festival-cs-krb': ('czech_krb', 'festvox-czech-krb', 'cs', 'krb', 'krb (male child, Czech, diphone)'),
    'festival-cs-machac': ('czech_machac', 'festvox-czech-machac', 'cs', 'machac', 'machac (male adult, Czech, diphone)'),
    'festival-cs-ph': ('czech_ph', 'festvox-czech-ph', 'cs', 'cs-ph', 'ph (male, Czech, diphone)'),
    'festival-ru-nsh': ('msu_ru_nsh_clunits', 'festvox-ru', 'ru', 'nsh', 'nsh (male, Russian, unit selection)'),
    'festival-fi-lj': ('suo_fi_lj_diphone', 'festvox-suopuhe-lj', 'fi', 'fi-lj', 'lj (female, Finnish, diphone)'),
    'festival-fi-mv': ('hy_fi_mv_diphone', 'festvox-suopuhe-mv', 'fi', 'fi-mv', 'mv (male, Finnish, diphone)'),
    # The three Indian voices share the NSK diphone name: counted as one speaker.
    'festival-hi-nsk': ('hindi_NSK_diphone', 'festvox-hi-nsk', 'hi', 'nsk', 'NSK (male, Hindi, diphone)'),
    'festival-mr-nsk': ('marathi_NSK_diphone', 'festvox-mr-nsk', 'mr', 'nsk', 'NSK (male, Marathi, diphone)'),
    'festival-te-nsk': ('telugu_NSK_diphone', 'festvox-te-nsk', 'te', 'nsk', 'NSK (male, Telugu, diphone)'),
}
# Festival reads bytes; these front ends expect ISO-8859 (given UTF-8 they spell the bytes out).
FESTIVAL_ENCODING = {'it': 'latin-1', 'ca': 'latin-1', 'fi': 'latin-1', 'cs': 'iso-8859-2'}
# Several diphone voices peak within a few steps of full scale without clipping: a festival file
# counts as clipped only with a sample at full scale, and is then scaled down 6 dB.
FESTIVAL_GAIN = 0.5
ESPEAK = {  # folder: (espeak-ng voice+variant, language); pitch and speed are drawn per voice
    'espeak-en-us-m3': ('en-us+m3', 'en'),
    'espeak-en-us-f2': ('en-us+f2', 'en'),
    'espeak-en-gb-m7': ('en-gb+m7', 'en'),
    'espeak-en-gb-scotland-f4': ('en-gb-scotland+f4', 'en'),
    'espeak-en-029-klatt': ('en-029+klatt', 'en'),
    'espeak-de-m2': ('de+m2', 'de'),
    'espeak-de-f3': ('de+f3', 'de'),
    'espeak-es-f1': ('es+f1', 'es'),
    'espeak-es-419-m5': ('es-419+m5', 'es'),
    'espeak-fr-m4': ('fr-fr+m4', 'fr'),
    'espeak-fr-f5': ('fr-fr+f5', 'fr'),
    'espeak-it-m6': ('it+m6', 'it'),
}
ESPEAK_PITCH = (25, 75)  # espeak-ng's scale is 0-99, 50 by default
ESPEAK_SPEED = (135, 185)  # words a minute, 175 by default
ESPEAK_AMPLITUDE = 70  # of 200; at its default of 100 loud voices reach full scale
# Recorded clips, one voice per pack / language. Left out, measured on the packages: the packs and
# languages where (nearly) every clip is clipped at the source, and those without sounds.
HEDGEWARS_PACKS = ('British', 'Classic', 'Default', 'Default_es', 'Default_ru', 'Default_uk', 'HillBilly', 'Mobster',
                   'Robot', 'Russian', 'Singer', 'Surfer')  # not Default_pl, Pirate, Russian_pl: under 10 s unclipped
KLETTRES_LANGS = ('ar', 'cs', 'da', 'de', 'en', 'en_GB', 'es', 'fr', 'he', 'hu', 'it', 'nds', 'nl', 'pt_BR',
                  'uk')  # not lt, ml, ru (all clipped), nb, tn (under 10 s unclipped), id, nn (no sounds)
POCKETSPHINX_DATA = '/usr/share/pocketsphinx/test/data/'  # its .raw files are 16 kHz 16-bit mono
POCKETSPHINX = {  # folder: (patterns under POCKETSPHINX_DATA, who)
    'pocketsphinx-librivox': (['librivox/*.wav'], "a reader of LibriVox's public-domain Sense and Sensibility (recorded, en)"),
    'pocketsphinx-cmu': (['cards/*.wav', '*.raw'], "CMU Sphinx's test recordings (recorded, en, speakers unnamed)"),
}
CLIP_PACKAGES = ('hedgewars-data', 'klettres-data', 'pocketsphinx-testdata')
UTTERANCE_S = 3.0  # clips are joined, with PAUSE_S of silence between, until an utterance is this long
PAUSE_S = 0.25
VOICE_CAP_S = 15 * 60  # at most this much of each added voice, so that none dominates
# Packages whose files or programs the added voices use (versions in the manifest, licences copied).
FESTIVAL_SUPPORT = ('festival', 'festlex-cmu', 'festlex-poslex', 'festlex-ifd', 'festival-ca', 'festival-czech',
                    'festival-hi', 'festival-mr', 'festival-te', 'festvox-suopuhe-common')
ADDED_PACKAGES = (FESTIVAL_SUPPORT + tuple(sorted({v[1] for v in FESTIVAL.values()})) + ('espeak-ng', 'espeak-ng-data')
                  + CLIP_PACKAGES)


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


def added_sentences(voice, lang, count, exclude):
    """`count` distinct sentences for one added voice, seeded by its name; English ones avoid `exclude`."""
    seed = stable_hash(f'{SEED}:{voice}')
    if lang == 'en':
        return make_sentences(seed, count, exclude)
    rng = random.Random(seed)
    out, seen = [], set()
    while len(out) < count:
        s = phrases.sentence(lang, rng)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def espeak_prosody(voice):
    """A fixed pitch and speed for one espeak-ng voice, drawn from its name."""
    rng = random.Random(stable_hash(f'{SEED}:espeak:{voice}'))
    return rng.randint(*ESPEAK_PITCH), rng.randint(*ESPEAK_SPEED)


def clip_files(spec):
    """The recordings of one clip voice, in a fixed order that mixes their names."""
    files = [f for f in dpkg_files(spec['package']) if any(fnmatch.fnmatchcase(f, p) for p in spec['patterns'])]
    if not files:
        raise RuntimeError(f"{spec['package']}: nothing matches {spec['patterns']}")
    return hash_order(files, key=lambda f: f"{spec['speaker']}:{f}")


def clip_voices():
    """(folder, package, language, file patterns, who) of each voice made of recorded clips."""
    for p in HEDGEWARS_PACKS:
        yield (f"hedgewars-{p.lower().replace('_', '-')}", 'hedgewars-data', None, [f'*/Data/Sounds/voices/{p}/*.ogg'],
               f'Hedgewars voice pack {p} (recorded)')
    for lang in KLETTRES_LANGS:
        yield (f"klettres-{lang.lower().replace('_', '-')}", 'klettres-data', lang, [f'/usr/share/klettres/{lang}/*/*.ogg'],
               f'KLettres letters and syllables, {lang} (recorded)')
    for v, (patterns, who) in POCKETSPHINX.items():
        yield v, 'pocketsphinx-testdata', 'en', [POCKETSPHINX_DATA + p for p in patterns], who


def added_voices():
    """Every added voice: its kind, package, language, speaker and description."""
    voices = {}
    for v, (tts, pkg, lang, speaker, who) in FESTIVAL.items():
        voices[v] = {'kind': 'festival', 'tts': tts, 'package': pkg, 'language': lang, 'speaker': speaker, 'who': who}
    for v, (tts, lang) in ESPEAK.items():
        pitch, speed = espeak_prosody(v)
        voices[v] = {'kind': 'espeak', 'tts': tts, 'package': 'espeak-ng', 'language': lang, 'speaker': v,
                     'who': f'espeak-ng {tts}, pitch {pitch}, {speed} words/min (formant synthesis)',
                     'pitch': pitch, 'speed': speed}
    for v, pkg, lang, patterns, who in clip_voices():
        voices[v] = {'kind': 'clips', 'package': pkg, 'language': lang, 'speaker': v, 'who': who, 'patterns': patterns}
    return voices


def tts_sources(spec, sentences):
    return [{'src': s, 'name': f'{i:04d}.wav', 'kind': spec['kind'], 'voice': spec['tts'], 'lang': spec['language'],
             'pitch': spec.get('pitch'), 'speed': spec.get('speed')} for i, s in enumerate(sentences)]


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


def decode_g722(src):
    x = ffmpeg_decode(['-f', 'g722', '-i', src])
    expected = 2 * os.path.getsize(src)  # two 4-bit codes per byte, one per 16 kHz sample
    if abs(len(x) - expected) > 64:
        raise RuntimeError(f"{src}: decoded {len(x)} samples, expected {expected}: check ffmpeg's G.722 rate")
    return x


def at_full_scale(path):
    """Whether a 16-bit WAV file holds a sample at full scale, the mark of clipping in integer output."""
    with wave.open(path, 'rb') as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.int32)
    return pcm.size > 0 and int(np.max(np.abs(pcm))) >= 32767


def tts_command(item, tmp, out):
    """The command that speaks item['src'] into `out` (a text file for it goes in `tmp`)."""
    if item['kind'] == 'flite':
        return ['flite', '-voice', item['voice'], '-t', item['src'], '-o', out]
    text = os.path.join(tmp, 'x.txt')
    encoding = FESTIVAL_ENCODING.get(item['lang'], 'utf-8') if item['kind'] == 'festival' else 'utf-8'
    with open(text, 'w', encoding=encoding) as f:
        f.write(item['src'] + '\n')
    if item['kind'] == 'festival':
        return ['text2wave', text, '-o', out, '-eval', f"(voice_{item['voice']})"]
    return ['espeak-ng', '-v', item['voice'], '-p', str(item['pitch']), '-s', str(item['speed']), '-a', str(ESPEAK_AMPLITUDE),
            '-f', text, '-w', out]


def synthesize(item):
    """Speaks one sentence; returns 16 kHz samples, or None for festival output clipped at full scale."""
    with tempfile.TemporaryDirectory(prefix='rg-tts-') as tmp:
        out = os.path.join(tmp, 'x.wav')
        subprocess.run(tts_command(item, tmp, out), check=True, capture_output=True)
        with wave.open(out, 'rb') as w:
            native = (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SR, 1, 2)
        # Most voices speak 16 kHz 16-bit already: read those directly, resample the others.
        x = read_wav(out) if native else ffmpeg_decode(['-i', out])
        if item['kind'] == 'festival':
            return None if at_full_scale(out) else x * FESTIVAL_GAIN
    return x


def speech_task(item):
    """Decodes, checks and trims one utterance; returns (status, seconds)."""
    dst = item['dst']
    if os.path.exists(dst):
        return 'existing', wav_seconds(dst)
    x = decode_g722(item['src']) if item['kind'] == 'g722' else synthesize(item)
    if x is None or np.max(np.abs(x), initial=0) >= 0.999:
        return 'clipped', 0.0
    y = trim(x - np.mean(x), below_db=40, margin_s=0.15)
    if y is None:
        return 'silent', 0.0
    if len(y) < MIN_SPEECH_S * SR:
        return 'short', 0.0
    if np.max(np.abs(y)) >= 0.999:  # removing a large DC offset can lift a peak to full scale
        return 'clipped', 0.0
    write_wav(dst, y)
    return 'written', len(y) / SR


def summarize_voice(split, voice, res, t0):
    """Logs and returns the counts of one voice's speech_task results."""
    count = {k: sum(1 for s, _ in res if s == k) for k in ('written', 'existing', 'short', 'silent', 'clipped')}
    secs = sum(t for _, t in res)
    kept = count['written'] + count['existing']
    say(f'speech/{split}/{voice}: {kept} files, {secs / 60:.1f} min ({count["written"]} written, '
        f'{count["existing"]} already there; skipped {count["short"]} under {MIN_SPEECH_S:g} s, '
        f'{count["silent"]} silent, {count["clipped"]} clipped) in {time.time() - t0:.1f} s')
    return {'split': split, 'files': kept, 'seconds': round(secs, 2),
            'skipped': {k: count[k] for k in ('short', 'silent', 'clipped')}}


def voice_items(out, split, voice, items):
    """Gives each item its destination in speech/SPLIT/VOICE/ (made here)."""
    d = os.path.join(out, 'speech', split, voice)
    os.makedirs(d, exist_ok=True)
    for it in items:
        it['dst'] = os.path.join(d, it['name'])
    if len({it['dst'] for it in items}) != len(items):
        raise RuntimeError(f'{voice}: two sources map to one file name')
    return items


def stage_speech(out, small, jobs, sentences):
    stats = {}
    for voice in list(ASTERISK) + list(FLITE):
        split = ASTERISK[voice][2] if voice in ASTERISK else FLITE[voice][1]
        items = asterisk_sources(voice, small) if voice in ASTERISK else flite_sources(voice, sentences[split])
        voice_items(out, split, voice, items)
        t0 = time.time()
        stats[voice] = summarize_voice(split, voice, run_parallel(speech_task, items, jobs), t0)
    return stats


def write_tsv(path, lines):
    """NNNN<tab>line for each line, unless the file exists (it is written whole, through a rename)."""
    if not os.path.exists(path):
        tmp = path + '.part'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.writelines(f'{i:04d}\t{s}\n' for i, s in enumerate(lines))
        os.replace(tmp, path)


def clean_clip(path):
    """One recorded clip, decoded, checked and trimmed as speech_task does: (status, samples or None)."""
    raw = ['-f', 's16le', '-ar', str(SR), '-ac', '1'] if path.endswith('.raw') else []
    x = ffmpeg_decode([*raw, '-i', path])
    if np.max(np.abs(x), initial=0) >= 0.999:
        return 'clipped', None
    y = trim(x - np.mean(x), below_db=40, margin_s=0.15)
    if y is None:
        return 'silent', None
    return ('clipped', None) if np.max(np.abs(y)) >= 0.999 else ('kept', y)


def pack_clips(files, max_utts, cap_s):
    """Joins clips in order, with pauses, into utterances of at least UTTERANCE_S (the tail: at least
    MIN_SPEECH_S), until max_utts utterances or cap_s seconds. Returns [(samples, files)], skipped counts."""
    pause = np.zeros(int(PAUSE_S * SR))
    utts, part, srcs, total = [], [], [], 0
    skipped = {'short': 0, 'silent': 0, 'clipped': 0}

    def close():
        nonlocal part, srcs, total
        x = np.concatenate(part)
        if len(x) >= MIN_SPEECH_S * SR and total + len(x) <= cap_s * SR:
            utts.append((x, srcs))
            total += len(x)
        else:
            skipped['short'] += len(srcs)
        part, srcs = [], []

    for f in files:
        if (max_utts is not None and len(utts) >= max_utts) or total >= (cap_s - UTTERANCE_S) * SR:
            break
        status, y = clean_clip(f)
        if y is None:
            skipped[status] += 1
            continue
        part += [pause, y] if part else [y]
        srcs.append(f)
        if sum(len(p) for p in part) >= UTTERANCE_S * SR:
            close()
    if part:
        close()
    return utts, skipped


def clip_voice_task(out, voice, spec, max_utts):
    """Writes one clip voice's utterances and text/VOICE.tsv (the clips in each); returns its counts."""
    t0 = time.time()
    utts, skipped = pack_clips(clip_files(spec), max_utts, VOICE_CAP_S)
    d = os.path.join(out, 'speech', 'train', voice)
    os.makedirs(d, exist_ok=True)
    written = 0
    for i, (x, _) in enumerate(utts):
        dst = os.path.join(d, f'{i:04d}.wav')
        if not os.path.exists(dst):
            write_wav(dst, x)
            written += 1
    write_tsv(os.path.join(out, 'text', f'{voice}.tsv'), [' + '.join(srcs) for _, srcs in utts])
    secs = sum(len(x) for x, _ in utts) / SR
    say(f'speech/train/{voice}: {len(utts)} files, {secs / 60:.1f} min from {sum(len(s) for _, s in utts)} clips '
        f'({written} written, {len(utts) - written} already there; skipped {skipped["short"]} clips left over, '
        f'{skipped["silent"]} silent, {skipped["clipped"]} clipped) in {time.time() - t0:.1f} s')
    return {'split': 'train', 'files': len(utts), 'seconds': round(secs, 2), 'skipped': skipped}


def stage_added_speech(out, small, jobs, english_exclude):
    """The added training voices: synthesised ones sentence by sentence, clip voices whole."""
    voices = added_voices()
    stats = {}
    count = SIZES['added_sentences'][1 if small else 0]
    for voice, spec in voices.items():
        if spec['kind'] == 'clips':
            continue
        sentences = added_sentences(voice, spec['language'], count, english_exclude)
        write_tsv(os.path.join(out, 'text', f'{voice}.tsv'), sentences)
        items = voice_items(out, 'train', voice, tts_sources(spec, sentences))
        t0 = time.time()
        stats[voice] = summarize_voice('train', voice, run_parallel(speech_task, items, jobs), t0)
    clips = [v for v, spec in voices.items() if spec['kind'] == 'clips']
    max_utts = SIZES['added_utterances'][1 if small else 0]
    res = run_parallel(lambda v: clip_voice_task(out, v, voices[v], max_utts), clips, jobs)
    stats.update(zip(clips, res))
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


# Licence and credit of each added package, from its /usr/share/doc/PACKAGE/copyright (copied beside).
ADDED_TERMS = {
    'festvox-kallpc16k': ('CMU/CSTR festvox licence (free use, modification and distribution; keep the notice, mark '
                          'changes, keep the authors\' names, no endorsement)', '© 1998 Alan W Black and Kevin Lenzo'),
    'festvox-kdlpc16k': ('CSTR festvox licence (as festvox-kallpc16k)',
                         '© 1997 Centre for Speech Technology Research, University of Edinburgh'),
    'festvox-italp16k': ('GPL-2+', 'Italian FESTIVAL Modules, © 2008 IFM Development Team, ISTC-SPFD CNR and ITC-irst '
                         '(Piero Cosi, Carlo Drioli, Graziano Tisato, Roberto Gretter, Fabio Tesser)'),
    'festvox-itapc16k': ('GPL-2+', 'as festvox-italp16k'),
    'festvox-ca-ona-hts': ('LGPL-2.1+', '© 2007-2016 Universitat Politècnica de Catalunya, Antonio Bonafonte (Festcat)'),
    'festvox-czech-dita': ('GPL-3+', '© 2005, 2010, 2011 Brailcom, o.p.s.'),
    'festvox-czech-krb': ('GPL-3+', '© 2005, 2010, 2011 Brailcom, o.p.s.'),
    'festvox-czech-machac': ('GPL-3+', '© 2005, 2010, 2011 Brailcom, o.p.s.'),
    'festvox-czech-ph': ('GPL-2+', '© 2005 Brailcom, o.p.s.'),
    'festvox-ru': ('festvox-style BSD-like licence (keep the notice, mark changes, keep the author\'s name)',
                   '© 2005 Nickolay V. Shmyrev'),
    'festvox-suopuhe-lj': ('LGPL-2+', '© 2000-2003 University of Helsinki (General Linguistics) and University of '
                           'Joensuu (Foreign Languages): Nicholas Volk, Martti Vainio, Stefan Werner'),
    'festvox-suopuhe-mv': ('LGPL-2+', '© 2000-2003 University of Helsinki and University of Joensuu: Nicholas Volk, '
                           'Martti Vainio'),
    'festvox-hi-nsk': ('GPL-2+', '© 2006 Priti Patil, Janabhaaratii Team, C-DAC Mumbai; 2005 Chaitanya Kamisetty'),
    'festvox-mr-nsk': ('GPL-2+', '© 2006 Priti Patil, Janabhaaratii Team, C-DAC Mumbai; 2005 Chaitanya Kamisetty'),
    'festvox-te-nsk': ('GPL-2+', '© 2006 Chaithanya Kamishetty; DONLab, Dept of CS&E, IIT Madras'),
    'espeak-ng': ('GPL-3+', '© 2005-2014 Jonathan Duddington, 2013-2016 Reece H. Dunn and the eSpeak NG contributors'),
    'hedgewars-data': ('GFDL-1.3 (Data/Sounds)', 'Hedgewars, © 2004-2006 Andrey Korotaev'),
    'klettres-data': ('GPL-2+', 'KLettres (KDE), © 2001-2011 Anne-Marie Mahfouf and the KDE contributors'),
    'pocketsphinx-testdata': ('BSD-2-Clause', '© 1995-2014 Carnegie Mellon University, 2014-2015 Alpha Cephei Inc.'),
}


def added_licence_lines(packages):
    """LICENSES.md lines of the added voices: one per voice, with its package's licence and credit."""
    def terms(pkg):
        lic, credit = ADDED_TERMS[pkg]
        return f'{pkg} {packages[pkg]}. Licence: **{lic}**, {credit.rstrip(".")}.'

    lines = []
    for v, a in added_voices().items():
        how = {'festival': f'synthesised by festival {packages["festival"]} (Festival licence, © 1996-2017 CSTR, '
                           'University of Edinburgh) with', 'espeak': 'synthesised by', 'clips': 'recordings of'}[a['kind']]
        lines.append(f'- `speech/train/{v}/`: {a["who"]}; {how} {terms(a["package"])}')
    lines.append('- Added voices\' language support: ' + ', '.join(f'{p} {packages[p]}' for p in FESTIVAL_SUPPORT[1:])
                 + ' (licences in licenses/); espeak-ng-data ' + str(packages['espeak-ng-data']) + ' (GPL-3+). The '
                 'sentences are generated by the script (text/VOICE.tsv); clip voices join several clips per file '
                 '(listed in text/VOICE.tsv).')
    return lines


def write_licences(out, packages, noise_files):
    lic_dir = os.path.join(out, 'licenses')
    os.makedirs(lic_dir, exist_ok=True)
    for pkg in [p for p, *_ in ASTERISK.values()] + list(NOISE_PKGS.values()) + ['flite', 'libflite1'] + list(ADDED_PACKAGES):
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
    L += added_licence_lines(packages)
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


def voice_table():
    """Every voice: split, source package, speaker id, description and language."""
    table = {v: {'split': sp, 'source': p, 'speaker_id': SPEAKER[v], 'speaker': who, 'language': lang}
             for v, (p, lang, sp, who) in ASTERISK.items()}
    table |= {v: {'split': sp, 'source': 'flite', 'speaker_id': SPEAKER[v], 'speaker': who, 'language': 'en'}
              for v, (_, sp, who) in FLITE.items()}
    table |= {v: {'split': 'train', 'source': a['package'], 'speaker_id': a['speaker'], 'speaker': a['who'],
                  'language': a['language'], 'added': True} for v, a in added_voices().items()}
    test = {t['speaker_id'] for t in table.values() if t['split'] == 'test'}
    leaks = sorted(v for v, t in table.items() if t['split'] == 'train' and t['speaker_id'] in test)
    if leaks:
        raise RuntimeError(f'training voices of test speakers: {leaks}')
    return table


def check_tools():
    """Exits with a message when a voice the corpus needs is missing."""
    voices = set(re.sub(r'^.*:', '', subprocess.run(['flite', '-lv'], capture_output=True, text=True).stdout).split())
    missing = {v for v, *_ in FLITE.values()} - voices
    if missing:
        sys.exit(f'prepare-data: flite lacks the voices {sorted(missing)} (it lists {sorted(voices)})')
    missing = [p for p in ADDED_PACKAGES if dpkg_version(p) is None]
    if missing:
        sys.exit(f'prepare-data: missing packages {missing} (scripts/prepare-data.sh installs them)')


def split_totals(speech, noise, generated, table):
    """Per split: voices, speakers, speech files and hours (also per source package), noise counts."""
    totals = {}
    for split in ('train', 'test'):
        vs = {v: s for v, s in speech.items() if s['split'] == split}
        by_pkg = {}
        for v, st in vs.items():
            e = by_pkg.setdefault(table[v]['source'], {'voices': 0, 'files': 0, 'seconds': 0.0})
            e['voices'] += 1
            e['files'] += st['files']
            e['seconds'] += st['seconds']
        rec = [f for f in noise.values() if f['split'] == split]
        totals[split] = {
            'voices': sorted(vs),
            'speakers': len({table[v]['speaker_id'] for v in vs}),
            'speech_files': sum(s['files'] for s in vs.values()),
            'speech_hours': round(sum(s['seconds'] for s in vs.values()) / 3600, 3),
            'by_package': {p: {'voices': e['voices'], 'files': e['files'], 'hours': round(e['seconds'] / 3600, 3)}
                           for p, e in sorted(by_pkg.items())},
            'noise_recordings': {k: sum(1 for f in rec if f['package'] == p) for k, p in NOISE_PKGS.items()},
            'noise_recording_minutes': round(sum(f['seconds'] for f in rec) / 60, 2),
            'noise_generated': generated['files'][split],
        }
    return totals


def voice_stats(speech, table):
    """The stage results of every voice with its hours (and, for added voices, the cap)."""
    out = {}
    for v, st in speech.items():
        out[v] = dict(st, hours=round(st['seconds'] / 3600, 3))
        if table[v].get('added'):
            out[v]['cap_minutes'] = VOICE_CAP_S / 60
    return out


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
    pkgs = sorted({p for p, *_ in ASTERISK.values()} | set(NOISE_PKGS.values()) | set(ADDED_PACKAGES)
                  | {'flite', 'libflite1', 'ffmpeg', 'python3-numpy'})
    packages = {p: dpkg_version(p) for p in pkgs}
    check_tools()
    table = voice_table()

    fp = dict(recipe)
    n_train = SIZES['sentences_train'][1 if a.small else 0]
    n_test = SIZES['sentences_test'][1 if a.small else 0]
    train_sent = make_sentences(SEED, n_train)
    sentences = {'train': train_sent, 'test': make_sentences(SEED + 1, n_test, exclude=train_sent)}
    os.makedirs(os.path.join(out, 'text'), exist_ok=True)
    for split, lines in sentences.items():
        write_tsv(os.path.join(out, 'text', f'{split}.tsv'), lines)

    speech, c1 = stage(out, 'speech', fp, lambda: stage_speech(out, a.small, a.jobs, sentences))
    # English sentences of the test voices are never spoken by an added voice.
    added, c2 = stage(out, 'added-speech', fp, lambda: stage_added_speech(out, a.small, a.jobs, sentences['test']))
    noise, c3 = stage(out, 'noise', fp, lambda: stage_noise(out, a.small, a.jobs))
    # Babble and the test set use the voices of stage 'speech' only, as in recipe 1.
    generated, c4 = stage(out, 'generated-noise', fp, lambda: stage_generated(out, a.small, a.jobs, speech))
    pool = {v: [os.path.abspath(p) for p in ps] for v, ps in babble_pools(out, speech)['test'].items()}
    testset, c5 = stage(out, 'testset', fp, lambda: stage_testset(out, a.small, a.jobs, speech, pool))

    manifest_p = os.path.join(out, 'manifest.json')
    if not (c1 or c2 or c3 or c4 or c5) and os.path.exists(manifest_p) and os.path.exists(os.path.join(out, 'LICENSES.md')):
        with open(manifest_p, encoding='utf-8') as f:
            old = json.load(f)
        changed = {p: (old['packages'].get(p), v) for p, v in packages.items() if old['packages'].get(p) != v}
        if changed:
            say(f'note: packages changed since this corpus was built (built with, now): {changed}')
        say(f'{out} is up to date ({time.time() - t_all:.1f} s)')
        return

    all_speech = speech | added
    totals = split_totals(all_speech, noise, generated, table)
    manifest = {
        'recipe': RECIPE,
        'mode': mode,
        'format': {'sample_rate': SR, 'channels': 1, 'encoding': 'PCM 16-bit WAV'},
        'split': {
            'rule': 'Speakers and noise recordings are disjoint between train and test. Speech: by voice (below); '
                    'every voice of a test speaker is test, and the added voices (festival, espeak-ng, Hedgewars, '
                    'KLettres, PocketSphinx) are all train and none of a test speaker. '
                    f'Noise recordings: by a SHA-1 of package:group, where the group is the file path without its '
                    f'trailing number, {TEST_NOISE_PERCENT}% of groups to test. Pink and babble noise are generated '
                    'per split with different seeds; babble sums speech of the same split only (train babble: the '
                    'voices of recipe 1; test babble uses '
                    f'a fixed {BABBLE_POOL_SHARE:.0%} of each test voice, never used as a test-set target).',
            'voices': table,
        },
        'totals': totals,
        'speech': voice_stats(all_speech, table),
        'noise': {'recordings': noise, 'generated': generated},
        'sentences': {'train': 'text/train.tsv', 'test': 'text/test.tsv',
                      'note': 'flite voices: file NNNN.wav speaks line NNNN of the split\'s file; added voices: '
                              'text/VOICE.tsv, line NNNN the sentence or the clips of NNNN.wav'},
        'testset': {'count': len(testset), 'snrs_db': list(SNRS_DB), 'target_rms': MIX_RMS, 'peak_limit': PEAK_LIMIT,
                    'mixtures': testset},
        'packages': packages,
        'tools': {'numpy': np.__version__, 'python': sys.version.split()[0]},
    }
    write_licences(out, packages, noise)
    write_json(manifest_p, manifest)
    for split, t in totals.items():
        gen = t['noise_generated']
        say(f'{split}: {t["speech_hours"]:.2f} h of speech in {t["speech_files"]} files, {len(t["voices"])} voices '
            f'({t["speakers"]} speakers); {sum(t["noise_recordings"].values())} noise recordings '
            f'({t["noise_recording_minutes"]:.1f} min) + {gen["pink"]} pink + {gen["babble"]} babble')
    say(f'testset: {len(testset)} mixtures; wrote manifest.json and LICENSES.md ({time.time() - t_all:.1f} s)')


if __name__ == '__main__':
    try:
        main()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        sys.exit(f'prepare-data: error: {e}')
