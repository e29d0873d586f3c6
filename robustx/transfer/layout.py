"""Task data for the catalogue: label sets, default hyperparameters, local-file layout helpers."""

from __future__ import annotations

from robustx.transfer.spec import Hyper, LocalFile

UPOS: tuple[str, ...] = tuple(
    "ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split()
)  # google/xtreme udpos ClassLabel order
PANX = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
PAIR = Hyper(epochs=2, batch_size=32, max_length=256)
QA = Hyper(epochs=2, batch_size=16, max_length=384)
QA_OPTIONS = {"doc_stride": 128, "max_answer_tokens": 30}


def standin(path: str, train: str | None = None) -> tuple[tuple[LocalFile, ...], tuple[LocalFile, ...]]:
    """Train on ``train`` if present, else on ``path`` minus its first dev_size rows; dev = those rows."""
    first = (LocalFile(train),) if train else ()
    return (*first, LocalFile(path, "tail", stand_in=True)), (LocalFile(path, "head"),)


def split(train: str, dev: str) -> tuple[tuple[LocalFile, ...], tuple[LocalFile, ...]]:
    return (LocalFile(train),), (LocalFile(dev, "head"),)


def glue(config: str, dev: str = "validation") -> tuple[str, str | None, tuple[str, ...], tuple[str, ...]]:
    return "nyu-mll/glue", config, ("train",), (dev,)
