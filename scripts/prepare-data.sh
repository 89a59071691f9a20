#!/usr/bin/env bash
# Builds a speech-enhancement corpus and an image corpus from Debian packages (nothing else is
# downloaded).
#
# Usage: bash scripts/prepare-data.sh [--small] [--jobs N] [--only speech|images] DIR
#   --small   a reduced corpus for quick runs: about 400 training utterances (a few per voice),
#             50 test mixtures
#   --jobs N  parallel decoders (default: the number of cores)
#   --only    build one of the two corpora (default: both)
#
# Sources (all decoded to 16 kHz mono, 16-bit WAV):
#   clean speech  Asterisk voice prompts, G.722 (asterisk-core-sounds-{en,es,fr,ru}-g722), and
#                 generated English sentences (text/*.tsv) spoken by flite's built-in voices;
#                 added training voices (text/VOICE.tsv says what each file holds):
#                 - festival (text2wave) with 15 festvox voices: kal, ked (en), lp, pc (it), ona (ca),
#                   dita, krb, machac, ph (cs), nsh (ru), lj, mv (fi), NSK (hi, mr, te), speaking
#                   sentences generated in their language (scripts/data/phrases.py)
#                 - espeak-ng: 12 voice variants (en, de, es, fr, it), pitch and speed seeded per voice
#                 - recorded clips, joined with pauses into utterances of 3 s or more: voice packs of
#                   hedgewars-data, letters and syllables of klettres-data (one voice per language),
#                   read speech of pocketsphinx-testdata
#                 at most 15 min per added voice (150 sentences each); clips clipped at the source
#                 are skipped, and so are the packs / languages that have (almost) nothing else
#   noise         sound effects of ufoai-sound and lincity-ng-data (and LinCity-NG's music),
#                 plus pink noise and babble generated here
#   Left out: festvox-ellpc11k (non-free: non-commercial use only), festvox-rablpc16k and
#   festvox-don (not in bookworm), festvox-us-slt-hts (slt is a test speaker), the 8 kHz festvox
#   builds (same speakers as the 16 kHz ones).
#
# Split (fixed; speakers and noise recordings never cross it):
#   train  en-allison, es-allison (one speaker, Allison Smith), fr-june, flite-awb, flite-kal16,
#          and every added voice (festival-kal is flite-kal16's speaker; festival-{hi,mr,te}-nsk
#          count as one speaker); no test speaker (slt, rms, ivrvoice.ru) has an added voice
#   test   ru-ivrvoice, flite-rms, flite-slt
#   noise recordings: 20% of groups to test by a SHA-1 of "package:path without trailing number",
#   so numbered variants (hurt1, hurt2) stay together; pink and babble are generated per split
#   with distinct seeds, babble from that split's speech only (train babble from the five voices
#   above, not the added ones, so the noise and test set are those of recipe 1; test babble from a
#   fixed quarter of each test voice, which is never a test-set target).
#
# Output:
#   DIR/speech/{train,test}/VOICE/*.wav  clean utterances, leading/trailing silence trimmed to
#                                        0.15 s, none under 1 s, none clipped at the source
#                                        (festival output: none at full scale, then -6 dB)
#   DIR/noise/{train,test}/*.wav         ufoai-*, lincity-*, pink-SPLIT-*, babble-SPLIT-* (peak 0.9)
#   DIR/testset/{clean,noisy}/NAME.wav   test speech + test noise at 0/5/10/15 dB, seeded; both
#                                        scaled alike to a mixture RMS of 0.1, peak at most 0.99
#   DIR/text/{train,test}.tsv            the flite sentences: NNNN<tab>text, spoken in NNNN.wav
#   DIR/text/VOICE.tsv                   an added voice's sentences, or the clips in each file
#   DIR/manifest.json                    counts and hours per voice, per source package and per
#                                        split; speakers, every mixture, package versions
#   DIR/LICENSES.md, DIR/licenses/       each source's licence and credits (CC-BY-SA and GPL
#                                        material: see scripts/data/CREDITS.md before sharing)
#
# Images (DIR/images; about 55 pictures, 12 MB):
#   sources   photographs of mate-backgrounds, the wallpapers of plasma-workspace-wallpapers (the
#             largest rendering of each), and scikit-image's sample photos whose terms its
#             documentation states (public domain or CC0), from python3-skimage
#   DIR/images/{train,test}/SOURCE-NAME.png  8-bit RGB, upright, alpha composited over white,
#                                        longest side at most 512 (Lanczos); 20% of pictures
#                                        held out for test by a SHA-1 of their name, fixed
#   DIR/images/manifest.json             every picture: split, source file, sizes, licence, credit
#   DIR/images/LICENSES.md, licenses/    the licences (GPL-2+ wallpapers: see scripts/data/CREDITS.md)
#   Degraded versions are made on the fly (lib/data/images.ts) or by your own script.
#
# Re-running is cheap: finished stages are stamped in DIR/.state, files are written under
# temporary names and renamed, so an interrupted run resumes and gives the same corpus.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
small=()
only=""
jobs="$(nproc 2> /dev/null || echo 2)"
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=(--small) ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift ;;
    --jobs=*) jobs="${1#--jobs=}" ;;
    --only) only="${2:?--only needs speech or images}"; shift ;;
    --only=*) only="${1#--only=}" ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "prepare-data: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *)
      [ -z "$dir" ] || { echo "prepare-data: one DIR only" >&2; exit 2; }
      dir="$1"
      ;;
  esac
  shift
done
[ -n "$dir" ] || { echo "usage: bash scripts/prepare-data.sh [--small] [--jobs N] [--only speech|images] DIR" >&2; exit 2; }
case "$only" in "" | speech | images) ;; *) echo "prepare-data: --only takes speech or images" >&2; exit 2 ;; esac
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "prepare-data: --jobs needs a positive integer" >&2; exit 2; }

say() { echo "prepare-data: $*"; }

# ffmpeg decodes G.722/Ogg/WAV and resamples; flite, festival and espeak-ng speak; numpy mixes. The
# sound and voice packages are the data; festival-{ca,czech,hi,mr,te} and festlex-ifd are the front
# ends of their languages (the Indian voices only recommend theirs, so they are named here).
speech_packages=(ffmpeg flite python3 python3-numpy
  asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722
  asterisk-core-sounds-ru-g722 ufoai-sound lincity-ng-data
  festival festlex-ifd festival-ca festival-czech festival-hi festival-mr festival-te
  festvox-kallpc16k festvox-kdlpc16k festvox-italp16k festvox-itapc16k festvox-ca-ona-hts
  festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph festvox-ru
  festvox-suopuhe-lj festvox-suopuhe-mv festvox-hi-nsk festvox-mr-nsk festvox-te-nsk
  espeak-ng hedgewars-data klettres-data pocketsphinx-testdata)
# Pillow decodes and scales; the wallpapers and scikit-image's samples are the data.
image_packages=(python3 python3-pil python3-skimage mate-backgrounds plasma-workspace-wallpapers)
packages=()
[ "$only" = images ] || packages+=("${speech_packages[@]}")
[ "$only" = speech ] || packages+=("${image_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2> /dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    say "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
  else
    echo "prepare-data: missing packages; install them with:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

mkdir -p "$dir"
start=$SECONDS
# Debian's interpreter, not whatever python3 comes first on PATH: python3-numpy belongs to it.
if [ "$only" != images ]; then
  say "building the ${small[*]:+small }speech corpus in $dir with $jobs jobs"
  /usr/bin/python3 "$here/data/build_corpus.py" "${small[@]}" --jobs "$jobs" "$dir"
  /usr/bin/python3 "$here/data/check_corpus.py" "$dir"
fi
if [ "$only" != speech ]; then
  say "building the image corpus in $dir/images"
  /usr/bin/python3 "$here/data/build_images.py" "$dir"
fi
say "done in $((SECONDS - start)) s; $(du -sh "$dir" | cut -f1) in $dir"
