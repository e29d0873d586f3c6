"""XNLI and PAWS-X: sentence-pair classification tasks of XTREME."""

from __future__ import annotations

from robustx.tasks.spec import HubConfig, TaskSpec

XNLI_LANGS = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
PAWSX_LANGS = ("de", "en", "es", "fr", "ja", "ko", "zh")

XNLI = TaskSpec(
    name="xnli",
    family="classification",
    description="Cross-lingual NLI: premise/hypothesis -> entailment, neutral, contradiction (accuracy)",
    languages=XNLI_LANGS,
    labels=("entailment", "neutral", "contradiction"),
    text_fields=("premise", "hypothesis"),
    download_path="xnli/{split}-{lang}.tsv",
    parallel=True,
    hub=(
        HubConfig(
            dataset="google/xtreme",
            config="XNLI",
            columns={"premise": "sentence1", "hypothesis": "sentence2", "label": "gold_label"},
            language_column="language",
        ),
        HubConfig(
            dataset="facebook/xnli",
            config="{lang}",
            columns={"premise": "premise", "hypothesis": "hypothesis", "label": "label"},
        ),
    ),
    label_aliases={"contradictory": "contradiction", "entails": "entailment"},
    licence="CC BY-NC 4.0",
)

PAWSX = TaskSpec(
    name="pawsx",
    family="classification",
    description="PAWS-X paraphrase identification: sentence1/sentence2 -> 0 (no) / 1 (paraphrase) (accuracy)",
    languages=PAWSX_LANGS,
    labels=("0", "1"),
    text_fields=("sentence1", "sentence2"),
    download_path="pawsx/{split}-{lang}.tsv",
    parallel=True,
    hub=(
        HubConfig(
            dataset="google/xtreme",
            config="PAWS-X.{lang}",
            columns={"sentence1": "sentence1", "sentence2": "sentence2", "label": "label"},
        ),
        HubConfig(
            dataset="google-research-datasets/paws-x",
            config="{lang}",
            columns={"sentence1": "sentence1", "sentence2": "sentence2", "label": "label"},
            id_column="id",
        ),
    ),
    label_aliases={
        "label_0": "0",
        "label_1": "1",
        "not_paraphrase": "0",
        "paraphrase": "1",
        "false": "0",
        "true": "1",
    },
    licence="PAWS-X: free for any use, with attribution",
)
