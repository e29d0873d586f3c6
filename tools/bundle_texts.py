"""The README and ATTRIBUTION.md texts of robustx/data/bundle (used by tools/build_bundle.py).

Every number in them comes from the build (``datasets`` and the file records), so the texts cannot
drift from the files they describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from robustx.text.scripts import LANGUAGE_NAMES

PAWS_LICENSE = """\
The dataset may be freely used for any purpose, although acknowledgement of
Google LLC ("Google") as the data source would be appreciated. The dataset is
provided "AS IS" without any warranty, express or implied. Google disclaims all
liability for any damages, direct or indirect, resulting from the use of the
dataset.
"""
PAWS_LICENSE_SOURCE = "google-research-datasets/paws@492b01c8c9e2c8dc1b168f59faab590d62e43cf6:LICENSE"
TRAIN_CMD = 'robustx train --base embedded --intermediate snli --target pawsx --data-dir "$DATA" --out ckpt/'
NER_CMD = 'robustx train --base embedded --target panx --data-dir "$DATA" --out ckpt-ner/'


def attribution(dataset: str, datasets: Mapping[str, Any]) -> str:
    return {
        "pawsx": _pawsx,
        "panx": _panx,
        "tatoeba": _tatoeba,
        "snli": _snli,
        "socialiqa": _siqa,
        "cldr": _cldr,
    }[dataset](datasets)


def _pawsx(d: Mapping[str, Any]) -> str:
    p = d["pawsx"]
    return f"""# PAWS-X (subset) — attribution

**Source.** PAWS-X: A Cross-lingual Adversarial Dataset for Paraphrase Identification. Yinfei Yang,
Yuan Zhang, Chris Tar, Jason Baldridge. EMNLP 2019. https://github.com/google-research-datasets/paws
(built on PAWS: Yuan Zhang, Jason Baldridge, Luheng He, NAACL 2019). Data: Google LLC. The files were
taken from XTREME's download layout (Hu et al., 2020, https://github.com/google-research/xtreme) as
mirrored in GautamGupta17/MESH; repository, commit, path and sha256 of each source file are in
../MANIFEST.json.

**Licence** (verbatim, {PAWS_LICENSE_SOURCE}):

```
{PAWS_LICENSE}```

**What was changed.** Only the 2,000-row dev sets (de en es fr ja ko zh) are used; rows were selected,
never edited, and laid out in XTREME's own train / dev / test convention:

- `train-en.tsv[.gz]`: {p["train_rows"]} English rows, the zero-shot training set.
- `dev-en.tsv[.gz]`: {p["validation_rows"]} English rows from the training groups, the model-selection set.
- `test-<lang>.tsv[.gz]`: {p["test_rows"]} held-out evaluation rows, the same rows in every language
  (the dev files are row-parallel; the build checks it).
- Rows were split by *group*, not by position: PAWS builds several pairs from one source sentence, so
  rows sharing a sentence (or a word-swapped version of it) in any language form a group. Whole groups
  go to training (in order of their first row) until it holds at least {p["train_target"]} rows (it
  ends with {p["training_pool_rows"]}); of those, whole groups from the end form the selection set
  (at least {p["validation_target"]} rows; it ends with {p["validation_rows"]}) and the rest train. The
  other {p["held_out_rows"]} rows are held out for the test set. No sentence of a training or selection
  row, in any language, appears in a test row, and training and selection share no group either.
- {p["untranslated_rows_dropped"]} held-out rows whose translation in some language is PAWS-X's
  placeholder "NS" (not translated) were dropped from every language, as the PAWS-X README asks.
- `rows.tsv`: for every bundle row, its split (train / validation / test), row number (= the number in
  the example id, e.g. `pawsx/test/NNNNNN`), row in the XTREME dev file, and PAWS-X id.
"""


def _panx(d: Mapping[str, Any]) -> str:
    x = d["panx"]
    low, high = x["tokens_per_sentence"]
    names = x["per_language"]["en"]["entities"]["train"]
    others = " ".join(lang for lang in x["languages"] if lang != "en")
    skipped = "\n".join(
        f"| {lang} | {LANGUAGE_NAMES[lang]} | {s['scanned']} of {s['source_sentences']} | {s['too_short']} | "
        f"{s['too_long']} | {s['repeated']} |"
        for lang, s in x["per_language"].items()
    )
    return f"""# PAN-X / WikiANN NER (subset) — attribution

**Source.** WikiANN: Xiaoman Pan, Boliang Zhang, Jonathan May, Joel Nothman, Kevin Knight, Heng Ji.
"Cross-lingual Name Tagging and Linking for 282 Languages", ACL 2017
(https://aclanthology.org/P17-1178/), in the balanced train / dev / test splits of Afshin Rahimi, Yuan
Li, Trevor Cohn, "Massively Multilingual Transfer for NER", ACL 2019
(https://aclanthology.org/P19-1015/). The sentences come from Wikipedia articles; Pan et al. derived
the name tags automatically from Wikipedia's links. The files were taken from XTREME's download layout
(Hu et al., 2020, https://github.com/google-research/xtreme: `panx/dev-<lang>.tsv`) as mirrored in
GautamGupta17/MESH; repository, commit, path and sha256 of each source file are in ../MANIFEST.json.

**Licence.** Open Data Commons Attribution License v1.0 (ODC-By 1.0),
https://opendatacommons.org/licenses/by/1-0/. Its text is in `LICENCE-ODC-By-1.0.txt`, as published in
the SPDX License List (npm package `spdx-license-list@6.12.0`, `licenses/ODC-By-1.0.json`); the page
above is the authoritative version. These files are a Derivative Database of PAN-X and are shared under
the same licence: contains information from PAN-X / WikiANN (https://github.com/google-research/xtreme),
which is made available under the ODC Attribution License.

**Wikipedia text.** The sentences themselves are Wikipedia text, written by Wikipedia's contributors
and licensed by them under CC BY-SA (https://en.wikipedia.org/wiki/Wikipedia:Copyrights). ODC-By covers
the database (the selection, arrangement and tags), not the rights in its individual contents
(ODC-By 1.0, section 2.4).

**What was changed.** Sentences were selected, never edited (lines are byte-identical to the source):

- Only XTREME's **dev** files are used, because XTREME's labelled PAN-X test set is not in the shared
  data. The bundle's `test-<lang>.tsv` files are therefore cut from the dev files: scores on them are
  **not comparable** with published PAN-X test scores (nor with anything tuned on XTREME's dev sets).
- `train-en.tsv`: the first {x["train_sentences"]} English sentences, the zero-shot training set
  ({names["PER"]} PER, {names["ORG"]} ORG and {names["LOC"]} LOC names in {names["tokens"]} tokens).
- `dev-en.tsv`: the next {x["validation_sentences"]} English sentences, the model-selection set.
- `test-<lang>.tsv`: {x["test_sentences_per_language"]} sentences per language: the next ones for
  English, the first ones for {others}.
- A sentence is taken in file order unless it has fewer than {low} or more than {high} tokens, or
  repeats the words of a sentence already taken in that language (so English training, selection and
  test share no sentence). Nothing is shuffled. Skipped, per language, in the part of the file read:

| lang | language | sentences read | under {low} tokens | over {high} tokens | repeats |
|---|---|---|---|---|---|
{skipped}

- `rows.tsv`: for every bundle sentence, its split, language, row number (= the number in its example
  id, e.g. `panx/test/NNNNNN`) and its position among the sentences of XTREME's `dev-<lang>.tsv`
  (= the number in that sentence's id when the shared file is loaded as the `validation` split).
"""


def _tatoeba(d: Mapping[str, Any]) -> str:
    t = d["tatoeba"]
    codes = ", ".join(t["codes"])
    return f"""# Tatoeba (subset) — attribution

**Source.** Sentences and translations from the Tatoeba collaborative corpus, https://tatoeba.org
(© Tatoeba contributors), as selected for the multilingual similarity-search test set of Mikel Artetxe
and Holger Schwenk, "Massively Multilingual Sentence Embeddings for Zero-Shot Cross-Lingual Transfer
and Beyond", TACL 2019 (facebookresearch/LASER, data/tatoeba/v1, extracted 2018-11-17), and used by
XTREME (Hu et al., 2020). Repository, commit and sha256 of every source file are in ../MANIFEST.json.

**Licence.** Creative Commons Attribution 2.0 France (CC-BY 2.0 FR),
https://creativecommons.org/licenses/by/2.0/fr/ (Tatoeba's terms: https://tatoeba.org/eng/terms_of_use).

**What was changed.** For each of {codes}: the first {t["pairs_per_language"]} lines of
`tatoeba.<xxx>-eng.<xxx>` and of `tatoeba.<xxx>-eng.eng` (line i of one translates line i of the
other); lines are unchanged. The English pool of each language is therefore {t["pairs_per_language"]}
sentences, not LASER's 1,000: top-1 accuracy here is higher than on the full set.
"""


def _snli(d: Mapping[str, Any]) -> str:
    e = d["english"]
    return f"""# SNLI (subset) — attribution

**Source.** The Stanford Natural Language Inference (SNLI) Corpus 1.0. Samuel R. Bowman, Gabor Angeli,
Christopher Potts, Christopher D. Manning. "A large annotated corpus for learning natural language
inference", EMNLP 2015. https://nlp.stanford.edu/projects/snli/ (premises from the Flickr30k captions,
Young et al., 2014). The files are the subset held by Deltaus/sBiMPM (see ../../MANIFEST.json).

**Licence.** Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0); the full text is
in `LICENCE-CC-BY-SA-4.0.txt` (https://creativecommons.org/licenses/by-sa/4.0/). These files are shared
under the same licence.

**What was changed.** Nothing in the content: `snli_1.0_dev.jsonl` ({e["snli_dev"]} pairs) and
`snli_1.0_test.jsonl` ({e["snli_test"]} pairs) are the upstream files, gzipped.
"""


def _siqa(d: Mapping[str, Any]) -> str:
    e = d["english"]
    return f"""# SocialIQA — attribution

**Source.** Social IQa: Commonsense Reasoning about Social Interactions. Maarten Sap, Hannah Rashkin,
Derek Chen, Ronan Le Bras, Yejin Choi. EMNLP 2019. https://leaderboard.allenai.org/socialiqa
(release v1.4; copy from wuhjie/few_shots_that_matters_wu, see ../../MANIFEST.json).

**Licence.** Creative Commons Attribution 4.0 International (CC BY 4.0); the full text is in
`LICENCE-CC-BY-4.txt` (https://creativecommons.org/licenses/by/4.0/).

**What was changed.** Nothing in the content: `socialIQa_v1.4_dev.jsonl` ({e["socialiqa_dev"]}
questions) and `socialIQa_v1.4_tst.jsonl` ({e["socialiqa_tst"]} questions, with answers) are the
upstream files, gzipped where over the size threshold.
"""


def _cldr(d: Mapping[str, Any]) -> str:
    m = d["muse"]
    cldr = m["cldr"]
    return f"""# Code-switching dictionaries from Unicode CLDR — attribution

**Source.** Unicode CLDR {cldr["cldr_version"]} emoji annotations (Unicode {cldr["unicode_version"]}),
npm package `{cldr["package"]}@{cldr["version"]}` (integrity `{cldr["integrity"]}`),
https://cldr.unicode.org. © Unicode, Inc. Unicode and the Unicode Logo are registered trademarks of
Unicode, Inc. in the U.S. and other countries.

**Licence.** Unicode License v3; the copyright and permission notice is reproduced in
`LICENSE.unicode` and applies to these files.

**What was changed.** The files are *derived* from `annotations/<locale>/annotations.json`: for each
emoji, its English text-to-speech name (lower-cased) is paired with the same emoji's name in the
target locale (case kept), where both names are one word. See ../README.md for the exact rules and the
per-language counts; `MANIFEST.json` here records each file's sources and sha256.
"""


# ---- README --------------------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1000:,.0f} kB" if n >= 1000 else f"{n} B"


def _folder_rows(records: Mapping[str, Mapping[str, Any]]) -> list[str]:
    folders: dict[str, list[int]] = {}
    for name, rec in records.items():
        folder = name.rsplit("/", 1)[0] if "/" in name else "."
        stats = folders.setdefault(folder, [0, 0])
        stats[0] += 1
        stats[1] += int(rec["bytes"])
    return [f"| `{f}/` | {n} | {_size(b)} |" for f, (n, b) in sorted(folders.items())]


def readme(
    datasets: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]], gzip_over: int, budget: int
) -> str:
    p, t, e, m = datasets["pawsx"], datasets["tatoeba"], datasets["english"], datasets["muse"]
    x = datasets["panx"]
    total = sum(int(r["bytes"]) for r in records.values())
    tatoeba_langs = ",".join(t["languages"])
    panx_langs = ",".join(x["languages"])
    dict_rows = []
    for lang in m["languages"]:
        s, agree = m["stats"][lang], m["muse_agreement"].get(lang)
        tts = f"{agree['tts'][0]}/{agree['tts'][1]}" if agree else "—"
        kw = agree["default_keywords"] if agree else None
        kw_text = f"{agree['default_candidates']} ({kw[0]}/{kw[1]})" if agree and kw else "—"
        cov = m["english_coverage"][lang]
        dict_rows.append(
            f"| {lang} | {LANGUAGE_NAMES[lang]} | {s['kept']} | {s['no_single_tts_name']} | "
            f"{s['target_not_one_word']} | {s['same_word']} | {cov['pawsx']:.1%} / {cov['tatoeba']:.1%} | "
            f"{tts} | {kw_text} |"
        )
    agree_all = [m["muse_agreement"][x]["tts"] for x in m["muse_agreement"]]
    kw_all = [m["muse_agreement"][x]["default_keywords"] for x in m["muse_agreement"]]
    tts_rate = sum(a for a, _ in agree_all) / max(1, sum(c for _, c in agree_all))
    kw_rate = sum(a for a, _ in kw_all) / max(1, sum(c for _, c in kw_all))
    pawsx_cov = [c["pawsx"] for c in m["english_coverage"].values()]
    tatoeba_cov = [c["tatoeba"] for c in m["english_coverage"].values()]
    cov_lo, cov_hi, tat_lo, tat_hi = min(pawsx_cov), max(pawsx_cov), min(tatoeba_cov), max(tatoeba_cov)
    kw_count = sum(m["muse_agreement"][x]["default_candidates"] for x in m["muse_agreement"])
    return f"""# robustx embedded data bundle (generated by tools/build_bundle.py; do not edit)

Real, licence-clean multilingual data that ships inside the package, so `make quickstart` and the tests
run offline: {_size(total)} besides this README and MANIFEST.json (budget {_size(budget)} in all), laid out like XTREME's `download/`
folder, so every robustx loader reads it through `--data-dir`. Files over {_size(gzip_over)} are
gzipped (the loaders read `X` and `X.gz` alike). `MANIFEST.json` lists every file with its sha256, size, rows,
licence and the upstream repository, commit and path it was cut from. Nothing non-commercial (XNLI,
MUSE) or GPL (FreeDict) is in it.

## Using it

```
DATA=$(python -c "import robustx.bundle as b; print(b.bundle_dir())")
{TRAIN_CMD}
robustx evaluate --model ckpt/ --task pawsx --data-dir "$DATA"
robustx evaluate --model ckpt/ --task tatoeba --langs {tatoeba_langs} --data-dir "$DATA"
robustx evaluate --model ckpt/ --task pawsx --data-dir "$DATA" --attack codeswitch:rate=0.3
{NER_CMD}
robustx evaluate --model ckpt-ner/ --task panx --langs {panx_langs} --data-dir "$DATA"
```

In Python: `robustx.bundle.bundle_dir()` (a `Path`), `robustx.bundle.manifest()`,
`robustx.bundle.languages("pawsx")` (or `"panx"`, `"tatoeba"`, `"muse"`), `robustx.bundle.verify()`
(files whose sha256 differs).
`codeswitch` finds `muse/` under `--data-dir` by itself (after `$ROBUSTX_DICTS` and packs built by
`robustx resources build`, which take precedence).

## Contents

| dataset | files | rows | languages | licence |
|---|---|---|---|---|
| PAWS-X (target task) | `pawsx/train-en.tsv`, `pawsx/dev-en.tsv`, `pawsx/test-<lang>.tsv`, `pawsx/rows.tsv` | train {p["train_rows"]} and validation {p["validation_rows"]} (English); test {p["test_rows"]} per language | {" ".join(p["languages"])} | free for any use, acknowledgement of Google LLC appreciated |
| PAN-X / WikiANN NER (target task) | `panx/train-en.tsv`, `panx/dev-en.tsv`, `panx/test-<lang>.tsv`, `panx/rows.tsv` | train {x["train_sentences"]} and validation {x["validation_sentences"]} sentences (English); test {x["test_sentences_per_language"]} per language | {" ".join(x["languages"])} | ODC-By 1.0 (sentences from Wikipedia) |
| Tatoeba (retrieval) | `tatoeba/tatoeba.<xxx>-eng.{{<xxx>,eng}}` | {t["pairs_per_language"]} pairs per language | {" ".join(t["languages"])} | CC-BY 2.0 FR |
| SNLI (intermediate) | `english/snli_subset/snli_1.0_{{dev,test}}.jsonl` | dev {e["snli_dev"]}, test {e["snli_test"]} | en | CC BY-SA 4.0 |
| SocialIQA (intermediate) | `english/siqa/socialIQa_v1.4_{{dev,tst}}.jsonl` | dev {e["socialiqa_dev"]}, tst {e["socialiqa_tst"]} | en | CC BY 4.0 |
| CLDR word pairs (code-switching) | `muse/en-<lang>.txt` | {min(m["entries"].values())}–{max(m["entries"].values())} pairs per language | {len(m["languages"])} languages (all XTREME languages but English) | Unicode License v3 |

| folder | files | bytes |
|---|---|---|
{chr(10).join(_folder_rows(records))}

Names are given as loaders ask for them; files over {_size(gzip_over)} are stored with `.gz` added
(`MANIFEST.json` has the stored names). Each folder has an `ATTRIBUTION.md` (citation, licence, what was changed) and, where the licence asks
for it, the licence text.

## How training and evaluation read it

- **PAWS-X target.** The layout is XTREME's: `robustx train --target pawsx --data-dir "$DATA"` trains
  on `pawsx/train-en.tsv` (XTREME's English training file name, so it is not a stand-in) and selects
  checkpoints on the first `--dev-size` rows of `pawsx/dev-en.tsv` ({p["validation_rows"]} rows: all of
  them at the default `--dev-size`), carved from the training groups, so model selection never sees a test
  row. `robustx evaluate --task pawsx --data-dir "$DATA"` reads `pawsx/test-<lang>.tsv` with the
  default `test` split. Example ids are `pawsx/test/NNNNNN`, the row number, the same item in every
  language (PAWS-X is a parallel set: the overall CI is a cluster bootstrap over ids);
  `pawsx/rows.tsv` maps each row of every split to its row in XTREME's dev file and its PAWS-X id.
- **PAN-X target (NER).** Also XTREME's layout: `{NER_CMD}` trains on
  `panx/train-en.tsv` ({x["train_sentences"]} sentences; XTREME's training file name, so not a stand-in)
  and selects checkpoints on the first `--dev-size` sentences of `panx/dev-en.tsv` ({x["validation_sentences"]}:
  all of them at the default). `robustx evaluate --task panx --langs {panx_langs} --data-dir "$DATA"` reads
  `panx/test-<lang>.tsv` ({x["test_sentences_per_language"]} sentences each) with the default `test`
  split; pass `--langs`, the task lists all 40 PAN-X languages. Ids are `panx/test/NNNNNN`, the sentence
  number in that file; PAN-X is not parallel, so the same id is a different sentence in each language.
  These test files are cut from XTREME's *dev* files (its labelled test set is not in the shared data),
  so the scores are not comparable with published PAN-X test results; English train, selection and
  test share no sentence. `panx/rows.tsv` maps every sentence to its place in XTREME's `dev-<lang>.tsv`
  and `panx/ATTRIBUTION.md` gives the selection rule.
- **Intermediate tasks.** `--intermediate snli` and `--intermediate socialiqa` (or both, with
  `--multitask`) read `english/`; these held-out files are stand-ins for the absent training files
  (the lineage says so), the first `--dev-size` rows of the dev file select.
- **Tatoeba.** `robustx evaluate --task tatoeba --data-dir "$DATA"` (its only split is `test`); pass
  `--langs` with the bundled languages, the task lists all 36.

## PAWS-X split

The shared data holds the 2,000-row XTREME dev set of each PAWS-X language and no training set; its
rows are parallel across languages (labels agree wherever both rows are translated, and numbers of each
English sentence reappear in the same row of every language: `MANIFEST.json`,
`datasets.pawsx.parallel_checks`). PAWS pairs several rows with one source sentence, so a split by row
position (the first {p["train_target"]} rows train) would put {p["row_split_leak"]} training sentences
into evaluation rows. The build groups rows that share a sentence in any language (compared as a bag
of lower-cased words, which also catches word-swapped copies; two English paraphrases sometimes share
one translation): {p["groups"]} groups. Whole groups, in order of their
first row, go to the training pool until it holds at least {p["train_target"]} rows (it ends with
{p["training_pool_rows"]}); whole groups from the end of that pool (by their last row) form the English
model-selection set `dev-en.tsv` until it holds at least {p["validation_target"]} rows (it ends with
{p["validation_rows"]}), and the other {p["train_rows"]} rows are `train-en.tsv`. The remaining
{p["held_out_rows"]} rows are held out, minus {p["untranslated_rows_dropped"]} whose translation in some
language is the placeholder "NS", which leaves {p["test_rows"]} parallel test rows in each of the 7
languages. Labels: train {p["label_counts"]["train"]}, validation {p["label_counts"]["validation"]},
test {p["label_counts"]["test"]}.

## Code-switching dictionaries

MUSE-format (`english<TAB>target`, one pair a line, sorted) word pairs built from Unicode CLDR's emoji
annotations: for every emoji with exactly one text-to-speech (`tts`) name in English and in the target
locale, the pair (English name lower-cased, target name as written) is kept when both names are **one
word**: letters and combining marks (ZWJ/ZWNJ allowed inside), optionally joined by a single hyphen or
apostrophe (`t-shirt`, `o’clock`), and nothing else (no space, digit, other punctuation or symbol).
Nothing is trimmed or rewritten: a name that is not one word is dropped and counted. Pairs whose target
is the English word itself (`pizza` → `Pizza`) are dropped because switching a word to itself changes
nothing; duplicates are dropped. Tagalog (`tl`) uses CLDR's Filipino (`fil`) names. For languages
written without spaces (ja, th, zh, my) "one word" means a name without spaces; robustx's segmenter may
split it further, so such a name always serves as a replacement for an English word and as a source
word only where the segmenter keeps it whole.

The `default` keyword lists are **not used**. They are unordered sets that locales fill independently,
so a keyword has no partner to align with; even the only unambiguous case (after setting the tts name
aside, exactly one single-word keyword left on each side) adds just {kw_count} pairs over the languages
with a shared MUSE dictionary, and those agree with MUSE {kw_rate:.0%} of the time, against {tts_rate:.0%}
for the tts pairs (MUSE is only read to measure this: "agree" = MUSE lists the English word and, among
its translations, the CLDR target; MUSE's own gaps count against CLDR, and its Chinese is Traditional
while CLDR `zh` is Simplified, hence the low zh figure).

Of the {m["english_names"]} English names, {m["english_one_word_names"]} are one word; per language:

| lang | language | pairs kept | emoji without one tts name | target not one word | same word as English | English words covered (PAWS-X / Tatoeba) | tts pairs agreeing with MUSE | default-keyword candidates (agreeing) |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(dict_rows)}

All counts are in `MANIFEST.json` (`datasets.muse.stats`, `datasets.muse.english_coverage`).
Vietnamese is low because its words are written as spaced syllables.

**Coverage of running text is low**: the words are emoji concepts (animals, food, objects, weather,
body parts, professions, zodiac signs), not function words or common verbs, so they translate only
{cov_lo:.1%}–{cov_hi:.1%} of the eligible English words of the PAWS-X test sentences and
{tat_lo:.1%}–{tat_hi:.1%} of the Tatoeba English sentences (measured as `codeswitch` counts them). With
these dictionaries alone `codeswitch:rate=0.3` changes well under 1% of the words: it exercises the
code path in every language, but a strong code-switching attack needs a larger dictionary (MUSE or
FreeDict, built locally with `robustx resources build`, which takes precedence over the bundle).
robustx reports each dictionary's coverage in every run's `metrics.json` and warns below 50%.

## Rebuilding

```
.venv/bin/python tools/build_bundle.py            # from ../shared/data/xtreme and the CLDR npm package
.venv/bin/python tools/build_bundle.py --check    # rebuild in a temp dir; fails if any byte differs
```

`--cldr` takes `{m["cldr"]["package"]}-{m["cldr"]["version"]}.tgz` or its unpacked `package/` folder
(default: `$ROBUSTX_CLDR`, else `npm pack` into robustx's cache, checked against the registry's
integrity hash). Every shared input is checked against the sha256 in `PROVENANCE.txt`. Gzip members
carry no file name and a zero mtime, so rebuilds are byte-identical.
"""
