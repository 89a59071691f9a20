#!/usr/bin/python3
"""Builds the image corpus described in scripts/prepare-data.sh (which calls this): photos and
wallpapers of Debian packages, decoded, upright, composited over white where transparent,
scaled so that the longest side is at most MAX_SIDE (Lanczos) and saved as 8-bit RGB PNG in
DIR/images/{train,test}, with a manifest and the licences.

Each PNG is written to a temporary name and renamed, and an existing PNG is kept, so a re-run
only finishes what is missing; the manifest and licences are rewritten every time.
"""
import argparse
import fnmatch
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

from PIL import Image, ImageOps

RECIPE = 1
MAX_SIDE = 512
TEST_PERCENT = 20  # share of pictures held out for test, by a SHA-1 of their id
SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'

# scikit-image's sample images whose own documentation (skimage.data) states free terms.
# Others (moon, the Middlebury motorcycle, ...) are left out: their terms are not stated there.
SKIMAGE = {
    'astronaut.png': ('public domain', 'NASA (portrait of astronaut Eileen Collins, NASA Great Images database)'),
    'camera.png': ('CC0', 'Lav Varshney'),
    'chelsea.png': ('CC0', 'Stefan van der Walt'),
    'coffee.png': ('CC0', 'Rachel Michetti, courtesy of Pikolo Espresso Bar'),
    'rocket.jpg': ('public domain', 'SpaceX (launch of DSCOVR on Falcon 9)'),
    'brick.png': ('CC0', 'CC0Textures (Bricks25), transformed by scikit-image'),
    'grass.png': ('CC0', 'linolafett (DeviantArt, Grass 01), cropped by scikit-image'),
    'gravel.png': ('CC0', 'CC0Textures (Gravel04), cropped by scikit-image'),
    'retina.jpg': ('CC0', 'Mikael Häggström (Wikimedia Commons)'),
    'hubble_deep_field.jpg': ('public domain', 'NASA (Hubble eXtreme Deep Field)'),
    'coins.png': ('no known copyright restrictions', 'Brooklyn Museum (Greek coins from Pompeii)'),
}
# mate-backgrounds: the photographs (the other files are drawings and logos); Elephants once,
# not its larger copies.
MATE_GLOBS = ['/usr/share/backgrounds/mate/nature/*.jpg', '/usr/share/backgrounds/mate/abstract/Elephants.jpg',
              '/usr/share/backgrounds/mate/desktop/GreenTraditional.jpg']
PACKAGES = ['mate-backgrounds', 'plasma-workspace-wallpapers', 'python3-skimage']


def say(msg):
    print(f'prepare-data: {msg}', flush=True)


def dpkg_version(pkg):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True)
    return r.stdout.strip() or None


def dep5_entry(copyright_path, rel):
    """(Copyright, License) of `rel` in a machine-readable copyright file: of the last stanza
    whose Files patterns match, as the format says later stanzas override earlier ones."""
    with open(copyright_path, encoding='utf-8') as f:
        paras = f.read().split('\n\n')
    found = None
    for para in paras:
        fields, key = {}, None
        for line in para.splitlines():
            if line[:1] in (' ', '\t') and key:
                fields[key] += '\n' + line.strip()
            elif ':' in line:
                key, _, value = line.partition(':')
                fields[key] = value.strip()
        patterns = fields.get('Files', '').split()
        if any(fnmatch.fnmatch(rel, p) for p in patterns):
            found = (' '.join(fields.get('Copyright', '').split()), fields.get('License', '').split('\n')[0])
    return found


def sources():
    """Every picture: (id, path, package, licence, credit)."""
    out = []
    mate_copyright = '/usr/share/doc/mate-backgrounds/copyright'
    for pattern in MATE_GLOBS:
        for p in sorted(glob.glob(pattern)):
            rel = os.path.relpath(p, '/usr/share/backgrounds/mate')
            holders, licence = dep5_entry(mate_copyright, rel) or ('', '')
            name = 'mate-' + os.path.splitext(rel)[0].replace('/', '-')
            out.append((name, p, 'mate-backgrounds', licence, holders))
    for d in sorted(glob.glob('/usr/share/wallpapers/*/contents/images')):
        files = [f for f in glob.glob(os.path.join(d, '*')) if f.lower().endswith(('.png', '.jpg', '.jpeg'))]
        if not files:
            continue
        # The largest rendering of each wallpaper (file names are WIDTHxHEIGHT).
        def area(f):
            w, _, h = os.path.splitext(os.path.basename(f))[0].partition('x')
            return int(w) * int(h) if w.isdigit() and h.isdigit() else 0
        best = max(files, key=area)
        wallpaper = d.split('/')[4]
        out.append((f'plasma-{wallpaper}', best, 'plasma-workspace-wallpapers', 'GPL-2+',
                    '2014 KDE Visual Design Group'))
    for name, (licence, credit) in SKIMAGE.items():
        p = os.path.join(SKIMAGE_DATA, name)
        if os.path.exists(p):
            out.append(('skimage-' + os.path.splitext(name)[0], p, 'python3-skimage', licence, credit))
    return out


def split_of(picture_id):
    return 'test' if int(hashlib.sha1(picture_id.encode()).hexdigest()[:12], 16) % 100 < TEST_PERCENT else 'train'


def convert(src, dst):
    """Decodes `src`, applies EXIF orientation, composites alpha over white, converts to RGB and
    scales to a longest side of at most MAX_SIDE; writes `dst` atomically."""
    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im)
        if im.mode in ('RGBA', 'LA', 'PA') or (im.mode == 'P' and 'transparency' in im.info):
            rgba = im.convert('RGBA')
            im = Image.alpha_composite(Image.new('RGBA', rgba.size, (255, 255, 255, 255)), rgba)
        if im.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
            im = im.point(lambda v: v / 257).convert('L')  # 16-bit gray to 8-bit
        im = im.convert('RGB')
        scale = MAX_SIDE / max(im.size)
        if scale < 1:
            im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
        tmp = os.path.join(os.path.dirname(dst), '.' + os.path.basename(dst) + '.part')
        im.save(tmp, format='PNG', optimize=False)
        os.replace(tmp, dst)


def write_text(path, text):
    tmp = path + '.part'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def write_licences(root, files, packages):
    lic = os.path.join(root, 'licenses')
    os.makedirs(lic, exist_ok=True)
    for pkg in PACKAGES:
        shutil.copyfile(f'/usr/share/doc/{pkg}/copyright', os.path.join(lic, f'{pkg}.copyright'))
    lines = ['# Licences of the image corpus', '',
             'Every PNG here is a **modified version** of a picture from a Debian package: decoded, turned upright,',
             f'composited over white where transparent, converted to 8-bit RGB and scaled to a longest side of at most {MAX_SIDE}',
             'pixels. Each package\'s full copyright file is in `licenses/PACKAGE.copyright`.', '',
             '- `mate-backgrounds` ' + f'({packages["mate-backgrounds"]}): GPL-2+, per file as its copyright file lists.',
             '- `plasma-workspace-wallpapers` ' + f'({packages["plasma-workspace-wallpapers"]}): GPL-2+, '
             '© 2014 KDE Visual Design Group.',
             '- `python3-skimage` ' + f'({packages["python3-skimage"]}): scikit-image\'s sample images, under the terms its '
             '`skimage.data` documentation states for each (public domain or CC0, listed below); Debian\'s copyright file '
             'covers the package as BSD-3-Clause.', '',
             '| file | split | package | source | licence | credit |', '|---|---|---|---|---|---|']
    for f in files:
        lines.append(f'| {f["file"]} | {f["split"]} | {f["package"]} | {f["source"]} | {f["licence"]} | {f["credit"]} |')
    write_text(os.path.join(root, 'LICENSES.md'), '\n'.join(lines) + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('out')
    a = ap.parse_args()
    root = os.path.join(os.path.abspath(a.out), 'images')
    for split in ('train', 'test'):
        os.makedirs(os.path.join(root, split), exist_ok=True)
    packages = {p: dpkg_version(p) for p in PACKAGES}
    missing = [p for p, v in packages.items() if not v]
    if missing:
        sys.exit(f'prepare-data: missing packages for the image corpus: {missing}')
    files, made = [], 0
    for picture_id, src, pkg, licence, credit in sources():
        split = split_of(picture_id)
        rel = os.path.join(split, picture_id + '.png')
        dst = os.path.join(root, rel)
        with Image.open(src) as im:
            original = ImageOps.exif_transpose(im).size
        if not os.path.exists(dst):
            convert(src, dst)
            made += 1
        with Image.open(dst) as im:
            size = im.size
        files.append({'file': rel, 'split': split, 'package': pkg, 'source': src, 'original_size': list(original),
                      'size': list(size), 'licence': licence, 'credit': credit})
    counts = {s: sum(1 for f in files if f['split'] == s) for s in ('train', 'test')}
    manifest = {
        'recipe': RECIPE,
        'format': {'encoding': 'PNG, 8-bit RGB', 'max_side': MAX_SIDE, 'resampling': 'Lanczos'},
        'split': {'rule': f'{TEST_PERCENT}% of pictures to test by a SHA-1 of their id; each picture is in one split only',
                  'counts': counts},
        'packages': packages,
        'files': files,
    }
    write_text(os.path.join(root, 'manifest.json'), json.dumps(manifest, indent=1, ensure_ascii=False) + '\n')
    write_licences(root, files, packages)
    say(f'images: {counts["train"]} train, {counts["test"]} test ({made} written now) in {root}')


if __name__ == '__main__':
    main()
