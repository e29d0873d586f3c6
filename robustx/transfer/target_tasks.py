"""The XTREME targets: English training data (hub and XTREME's download layout) and the paper's defaults."""

from __future__ import annotations

from robustx.tasks import get_task
from robustx.transfer import convert as cv
from robustx.transfer.layout import PAIR, PANX, QA, QA_OPTIONS, UPOS, glue, split, standin
from robustx.transfer.spec import HubSpec, Hyper, LocalFile, LocalSpec, TrainTask

xnli, pawsx = get_task("xnli"), get_task("pawsx")
xnli_row = cv.pair_converter("first", "second", "label", xnli.canonical_label)
xnli_hub = cv.pair_converter("premise", "hypothesis", "label", xnli.canonical_label)
paws_row = cv.pair_converter("first", "second", "label", pawsx.canonical_label)
paws_hub = cv.pair_converter("sentence1", "sentence2", "label", pawsx.canonical_label)
squad_local = split("squad/train-v1.1.json", "squad/dev-v1.1.json")
tydi = "tydiqa/tydiqa-goldp-v1.1-{}/tydiqa.goldp.en.{}.json"
squad_hint = "download train-v1.1.json and dev-v1.1.json from https://rajpurkar.github.io/SQuAD-explorer into DATA/squad"
xtreme_hint = "run XTREME's scripts/download_data.sh (https://github.com/google-research/xtreme) and pass its download/ folder"
squad_hub = HubSpec("google/xtreme", "SQuAD", ("train",), ("validation",), cv.squad)
retrieval = Hyper(epochs=0, batch_size=32, max_length=512)

TARGET_TASKS: tuple[TrainTask, ...] = (
    TrainTask(
        "xnli",
        "classification",
        "XNLI: trained on English MNLI",
        PAIR,
        xnli.labels,
        HubSpec(*glue("mnli", "validation_matched"), convert=xnli_hub),
        LocalSpec("tsv_pairs", xnli_row, *standin("xnli/dev-en.tsv", "xnli/train-en.tsv"), xtreme_hint),
        evaluate_as="xnli",
    ),
    TrainTask(
        "pawsx",
        "classification",
        "PAWS-X: trained on English PAWS",
        Hyper(5, 32, 256),
        pawsx.labels,
        HubSpec("google-research-datasets/paws-x", "en", ("train",), ("validation",), paws_hub),
        LocalSpec("tsv_pairs", paws_row, *standin("pawsx/dev-en.tsv", "pawsx/train-en.tsv"), xtreme_hint),
        evaluate_as="pawsx",
    ),
    TrainTask(
        "udpos",
        "tagging",
        "UD-POS: trained on English UD v2.5",
        Hyper(10, 32, 256),
        UPOS,
        HubSpec(
            "google/xtreme", "udpos.English", ("train",), ("validation",), cv.tags_by_id("pos_tags", UPOS)
        ),
        LocalSpec("conll", cv.tags_named, *standin("udpos/dev-en.tsv", "udpos/train-en.tsv"), xtreme_hint),
        evaluate_as="udpos",
    ),
    TrainTask(
        "panx",
        "tagging",
        "PAN-X (WikiANN) NER: trained on English",
        Hyper(10, 32, 256),
        PANX,
        HubSpec("google/xtreme", "PAN-X.en", ("train",), ("validation",), cv.tags_by_id("ner_tags", PANX)),
        LocalSpec("conll", cv.tags_named, *standin("panx/dev-en.tsv", "panx/train-en.tsv"), xtreme_hint),
        evaluate_as="panx",
    ),
    TrainTask(
        "xquad",
        "qa",
        "XQuAD: trained on SQuAD v1.1",
        QA,
        None,
        squad_hub,
        LocalSpec("squad_json", cv.squad, *squad_local, squad_hint),
        evaluate_as="xquad",
        options=QA_OPTIONS,
    ),
    TrainTask(
        "mlqa",
        "qa",
        "MLQA: trained on SQuAD v1.1",
        QA,
        None,
        squad_hub,
        LocalSpec("squad_json", cv.squad, *squad_local, squad_hint),
        evaluate_as="mlqa",
        options=QA_OPTIONS,
    ),
    TrainTask(
        "tydiqa",
        "qa",
        "TyDiQA-GoldP: trained on its English training set (selected on its first rows)",
        QA,
        None,
        # XTREME evaluates TyDiQA-GoldP on its dev set, so selection uses held-out training rows.
        HubSpec(
            "google/xtreme",
            "tydiqa",
            ("train",),
            (),
            cv.squad,
            keep=lambda row: str(row.get("id", "")).startswith("english"),
        ),
        LocalSpec(
            "squad_json",
            cv.squad,
            (LocalFile(tydi.format("train", "train"), "tail"),),
            (LocalFile(tydi.format("train", "train"), "head"),),
            xtreme_hint,
        ),
        evaluate_as="tydiqa",
        options=QA_OPTIONS,
    ),
    TrainTask(
        "tatoeba",
        "retrieval",
        "Tatoeba: the intermediate encoder itself (no training)",
        retrieval,
        evaluate_as="tatoeba",
    ),
    TrainTask(
        "bucc",
        "retrieval",
        "BUCC 2018: the intermediate encoder itself (no training)",
        retrieval,
        evaluate_as="bucc",
    ),
)
