"""The English intermediate tasks and the XTREME targets robustx trains, with their real data sources.

Hub ids, configs, splits and columns follow the dataset cards. Local files follow the original
releases (and XTREME's ``download/`` layout for targets); the offline copies in
``shared/data/xtreme/english`` hold only held-out splits, so where a train file is absent robustx
trains on the labelled held-out file minus its first ``dev_size`` rows, which stay the selection
set; the lineage flags such a phase ``stand_in`` and the command warns.

Intermediate defaults (epochs 2, batch 32, max length 256; QA 16 / 384) are robustx's choice:
the paper's table gives target defaults only. Every value is overridable.
"""

from __future__ import annotations

from robustx.errors import SpecError
from robustx.registry import Registry, did_you_mean
from robustx.tasks import get_task
from robustx.transfer import convert as cv
from robustx.transfer.spec import HubSpec, Hyper, LocalFile, LocalSpec, TrainTask

UPOS: tuple[str, ...] = tuple(
    "ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split()
)  # google/xtreme udpos ClassLabel order
PANX = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
PAIR = Hyper(epochs=2, batch_size=32, max_length=256)
QA = Hyper(epochs=2, batch_size=16, max_length=384)
QA_OPTIONS = {"doc_stride": 128, "max_answer_tokens": 30}


def _standin(path: str, train: str | None = None) -> tuple[tuple[LocalFile, ...], tuple[LocalFile, ...]]:
    """Train on ``train`` if present, else on ``path`` minus its first dev_size rows; dev = those rows."""
    first = (LocalFile(train),) if train else ()
    return (*first, LocalFile(path, "tail", stand_in=True)), (LocalFile(path, "head"),)


def _split(train: str, dev: str) -> tuple[tuple[LocalFile, ...], tuple[LocalFile, ...]]:
    return (LocalFile(train),), (LocalFile(dev, "head"),)


def _glue(config: str, dev: str = "validation") -> tuple[str, str | None, tuple[str, ...], tuple[str, ...]]:
    return "nyu-mll/glue", config, ("train",), (dev,)


def _intermediate() -> list[TrainTask]:
    mnli_train, mnli_dev = _split(
        "english/MNLI/multinli_1.0_train.jsonl", "english/MNLI/multinli_1.0_dev_matched.jsonl"
    )
    anli_train = tuple(LocalFile(f"english/anli_v1.0/R{r}/train.jsonl") for r in (1, 2, 3))
    anli_dev = tuple(LocalFile(f"english/anli_v1.0/R{r}/dev.jsonl", "head") for r in (1, 2, 3))
    snli_train, snli_dev = _standin(
        "english/snli_subset/snli_1.0_dev.jsonl", "english/snli_subset/snli_1.0_train.jsonl"
    )
    snli_train = (snli_train[0], LocalFile("english/snli_subset/snli_1.0_test.jsonl", stand_in=True))
    siqa_train = (
        LocalFile("english/siqa/socialIQa_v1.4_trn.jsonl"),
        LocalFile("english/siqa/socialIQa_v1.4_tst.jsonl", stand_in=True),
    )
    siqa_dev = (LocalFile("english/siqa/socialIQa_v1.4_dev.jsonl", "head"),)
    return [
        TrainTask(
            "mnli",
            "classification",
            "MultiNLI (GLUE): premise/hypothesis -> 3-way entailment",
            PAIR,
            cv.NLI_LABELS,
            HubSpec(*_glue("mnli", "validation_matched"), convert=cv.nli_hub),
            LocalSpec(
                "jsonl",
                cv.nli_jsonl,
                mnli_train,
                mnli_dev,
                "unzip https://cims.nyu.edu/~sbowman/multinli/multinli_1.0.zip into DATA/english/MNLI",
            ),
            licence="OANC / CC BY-SA 3.0 (mixed)",
        ),
        TrainTask(
            "anli",
            "classification",
            "Adversarial NLI, rounds 1-3 combined",
            PAIR,
            cv.NLI_LABELS,
            HubSpec(
                "facebook/anli",
                None,
                ("train_r1", "train_r2", "train_r3"),
                ("dev_r1", "dev_r2", "dev_r3"),
                cv.nli_hub,
            ),
            LocalSpec(
                "jsonl",
                cv.anli_jsonl,
                anli_train,
                anli_dev,
                "unzip https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip into DATA/english",
            ),
            licence="CC BY-NC 4.0",
        ),
        TrainTask(
            "qqp",
            "classification",
            "Quora Question Pairs (GLUE): duplicate or not",
            PAIR,
            cv.QQP_LABELS,
            HubSpec(*_glue("qqp"), convert=cv.qqp),
            LocalSpec(
                "tsv_header",
                cv.qqp,
                *_split("english/QQP/train.tsv", "english/QQP/dev.tsv"),
                "unzip GLUE's QQP.zip (https://gluebenchmark.com/tasks) into DATA/english",
            ),
            licence="Quora terms (non-commercial)",
        ),
        TrainTask(
            "snli",
            "classification",
            "Stanford NLI: premise/hypothesis -> 3-way entailment",
            PAIR,
            cv.NLI_LABELS,
            HubSpec("stanfordnlp/snli", "plain_text", ("train",), ("validation",), cv.nli_hub),
            LocalSpec(
                "jsonl",
                cv.nli_jsonl,
                snli_train,
                snli_dev,
                "unzip https://nlp.stanford.edu/projects/snli/snli_1.0.zip into DATA/english/snli_subset",
            ),
            licence="CC BY-SA 4.0",
        ),
        TrainTask(
            "boolq",
            "classification",
            "BoolQ: question + passage -> yes/no",
            PAIR,
            cv.BOOLQ_LABELS,
            HubSpec("google/boolq", None, ("train",), ("validation",), cv.boolq),
            LocalSpec(
                "jsonl",
                cv.boolq,
                *_standin("english/BoolQ/dev.jsonl", "english/BoolQ/train.jsonl"),
                "download train.jsonl and dev.jsonl from https://github.com/google-research-datasets/boolean-questions into DATA/english/BoolQ",
            ),
            licence="CC BY-SA 3.0",
        ),
        TrainTask(
            "squad",
            "qa",
            "SQuAD v1.1 extractive QA",
            QA,
            None,
            HubSpec("rajpurkar/squad", "plain_text", ("train",), ("validation",), cv.squad),
            LocalSpec(
                "squad_json",
                cv.squad,
                *_split("squad/train-v1.1.json", "squad/dev-v1.1.json"),
                "download train-v1.1.json and dev-v1.1.json from https://rajpurkar.github.io/SQuAD-explorer into DATA/squad",
            ),
            licence="CC BY-SA 4.0",
            options=QA_OPTIONS,
        ),
        TrainTask(
            "squad_v2",
            "qa",
            "SQuAD v2.0 extractive QA with unanswerable questions",
            QA,
            None,
            HubSpec("rajpurkar/squad_v2", "squad_v2", ("train",), ("validation",), cv.squad),
            LocalSpec(
                "squad_json",
                cv.squad,
                *_split("english/SQuAD2/train-v2.0.json", "english/SQuAD2/dev-v2.0.json"),
                "download train-v2.0.json and dev-v2.0.json from https://rajpurkar.github.io/SQuAD-explorer into DATA/english/SQuAD2",
            ),
            licence="CC BY-SA 4.0",
            options={**QA_OPTIONS, "unanswerable": True},
        ),
        TrainTask(
            "hellaswag",
            "multiple_choice",
            "HellaSwag: pick the ending of an activity description",
            PAIR,
            None,
            HubSpec(
                "Rowan/hellaswag",
                None,
                ("train",),
                ("validation",),
                cv.hellaswag,
                revision="refs/convert/parquet",
            ),
            LocalSpec(
                "jsonl",
                cv.hellaswag,
                *_split("english/hellaswag/hellaswag_train.jsonl", "english/hellaswag/hellaswag_val.jsonl"),
                "download hellaswag_train.jsonl and hellaswag_val.jsonl from https://github.com/rowanz/hellaswag/tree/master/data into DATA/english/hellaswag",
            ),
            licence="MIT",
        ),
        TrainTask(
            "cosmosqa",
            "multiple_choice",
            "Cosmos QA: commonsense reading comprehension, 4 answers",
            PAIR,
            None,
            HubSpec(
                "allenai/cosmos_qa",
                None,
                ("train",),
                ("validation",),
                cv.cosmosqa,
                revision="refs/convert/parquet",
            ),
            LocalSpec(
                "csv",
                cv.cosmosqa,
                *_split("english/cosmosqa/train.csv", "english/cosmosqa/valid.csv"),
                "download train.csv and valid.csv from https://github.com/wilburOne/cosmosqa/tree/master/data into DATA/english/cosmosqa",
            ),
            licence="CC BY 4.0",
        ),
        TrainTask(
            "commonsenseqa",
            "multiple_choice",
            "CommonsenseQA: 5-way commonsense questions",
            PAIR,
            None,
            HubSpec("tau/commonsense_qa", None, ("train",), ("validation",), cv.commonsenseqa),
            LocalSpec(
                "jsonl",
                cv.commonsenseqa,
                *_standin("english/CommonsenseQA/validation.jsonl", "english/CommonsenseQA/train.jsonl"),
                "download train_rand_split.jsonl from https://www.tau-nlp.org/commonsenseqa as DATA/english/CommonsenseQA/train.jsonl",
            ),
            licence="MIT",
        ),
        TrainTask(
            "socialiqa",
            "multiple_choice",
            "SocialIQA: social commonsense, 3 answers",
            PAIR,
            None,
            HubSpec(
                "allenai/social_i_qa",
                None,
                ("train",),
                ("validation",),
                cv.socialiqa,
                revision="refs/convert/parquet",
            ),
            LocalSpec(
                "jsonl",
                cv.socialiqa,
                siqa_train,
                siqa_dev,
                "download socialIQa_v1.4.tgz from https://leaderboard.allenai.org/socialiqa and unpack it into DATA/english/siqa",
            ),
            licence="CC BY 4.0",
        ),
        TrainTask(
            "piqa",
            "multiple_choice",
            "PIQA: physical commonsense, pick the better of two solutions",
            PAIR,
            None,
            HubSpec(
                "ybisk/piqa", None, ("train",), ("validation",), cv.piqa, revision="refs/convert/parquet"
            ),
            LocalSpec(
                "jsonl",
                cv.piqa,
                *_standin("english/PIQA/validation.jsonl", "english/PIQA/train.jsonl"),
                "download train.jsonl + train-labels.lst from https://yonatanbisk.com/piqa and join them into DATA/english/PIQA/train.jsonl",
            ),
            licence="AFL 3.0",
        ),
        TrainTask(
            "ccg",
            "tagging",
            "CCG supertagging (CCGbank): one supertag per word; tag set from the data",
            PAIR,
            None,
            None,
            LocalSpec(
                "conll",
                cv.tags_named,
                *_split("english/ccg/ccg.train.tsv", "english/ccg/ccg.dev.tsv"),
                "CCGbank (LDC2005T13) is licensed by the LDC: convert its AUTO files to 'word<TAB>supertag' lines (blank line between sentences) as DATA/english/ccg/ccg.{train,dev}.tsv",
            ),
            licence="LDC (not redistributable)",
        ),
    ]


def _targets() -> list[TrainTask]:
    xnli, pawsx = get_task("xnli"), get_task("pawsx")
    xnli_row = cv.pair_converter("first", "second", "label", xnli.canonical_label)
    xnli_hub = cv.pair_converter("premise", "hypothesis", "label", xnli.canonical_label)
    paws_row = cv.pair_converter("first", "second", "label", pawsx.canonical_label)
    paws_hub = cv.pair_converter("sentence1", "sentence2", "label", pawsx.canonical_label)
    squad_local = _split("squad/train-v1.1.json", "squad/dev-v1.1.json")
    tydi = "tydiqa/tydiqa-goldp-v1.1-{}/tydiqa.goldp.en.{}.json"
    squad_hint = "download train-v1.1.json and dev-v1.1.json from https://rajpurkar.github.io/SQuAD-explorer into DATA/squad"
    xtreme_hint = "run XTREME's scripts/download_data.sh (https://github.com/google-research/xtreme) and pass its download/ folder"
    squad_hub = HubSpec("google/xtreme", "SQuAD", ("train",), ("validation",), cv.squad)
    retrieval = Hyper(epochs=0, batch_size=32, max_length=512)
    return [
        TrainTask(
            "xnli",
            "classification",
            "XNLI: trained on English MNLI",
            PAIR,
            xnli.labels,
            HubSpec(*_glue("mnli", "validation_matched"), convert=xnli_hub),
            LocalSpec("tsv_pairs", xnli_row, *_standin("xnli/dev-en.tsv", "xnli/train-en.tsv"), xtreme_hint),
            evaluate_as="xnli",
        ),
        TrainTask(
            "pawsx",
            "classification",
            "PAWS-X: trained on English PAWS",
            Hyper(5, 32, 256),
            pawsx.labels,
            HubSpec("google-research-datasets/paws-x", "en", ("train",), ("validation",), paws_hub),
            LocalSpec(
                "tsv_pairs", paws_row, *_standin("pawsx/dev-en.tsv", "pawsx/train-en.tsv"), xtreme_hint
            ),
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
            LocalSpec(
                "conll", cv.tags_named, *_standin("udpos/dev-en.tsv", "udpos/train-en.tsv"), xtreme_hint
            ),
            evaluate_as="udpos",
        ),
        TrainTask(
            "panx",
            "tagging",
            "PAN-X (WikiANN) NER: trained on English",
            Hyper(10, 32, 256),
            PANX,
            HubSpec(
                "google/xtreme", "PAN-X.en", ("train",), ("validation",), cv.tags_by_id("ner_tags", PANX)
            ),
            LocalSpec("conll", cv.tags_named, *_standin("panx/dev-en.tsv", "panx/train-en.tsv"), xtreme_hint),
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
    ]


INTERMEDIATE: Registry[TrainTask] = Registry("intermediate task")
TARGETS: Registry[TrainTask] = Registry("target task")
for _task in _intermediate():
    INTERMEDIATE.add(_task.name, _task)
for _task in _targets():
    TARGETS.add(_task.name, _task)
_ALIASES = {
    "siqa": "socialiqa",
    "csqa": "commonsenseqa",
    "squad2": "squad_v2",
    "squadv2": "squad_v2",
    "cosmos_qa": "cosmosqa",
    "social_i_qa": "socialiqa",
    "commonsense_qa": "commonsenseqa",
    "paws-x": "pawsx",
    "pan-x": "panx",
    "ud-pos": "udpos",
    "tydiqa-goldp": "tydiqa",
}


def _norm(name: str) -> str:
    low = name.strip().lower()
    return _ALIASES.get(low, low)


def get_intermediate(name: str) -> TrainTask:
    return INTERMEDIATE.get(_norm(name))


def get_target(name: str) -> TrainTask:
    return TARGETS.get(_norm(name))


def parse_intermediate(text: str | None) -> list[TrainTask]:
    """``'mnli,squad'`` -> specs; ``'none'`` or empty -> [] (the no-intermediate baseline)."""
    names = [p.strip() for p in (text or "").split(",") if p.strip()]
    if names == ["none"] or not names:
        return []
    if "none" in names:
        raise SpecError("--intermediate none cannot be combined with other tasks")
    tasks = [get_intermediate(n) for n in names]
    seen = [t.name for t in tasks]
    duplicates = sorted({n for n in seen if seen.count(n) > 1})
    if duplicates:
        raise SpecError(f"--intermediate names {', '.join(duplicates)} twice")
    return tasks


def any_task(name: str) -> TrainTask:
    """An intermediate or target task by name (for per-task file overrides)."""
    key = _norm(name)
    if key in INTERMEDIATE:
        return INTERMEDIATE.get(key)
    if key in TARGETS:
        return TARGETS.get(key)
    known = sorted({*INTERMEDIATE.names(), *TARGETS.names()})
    raise SpecError(f"unknown task '{name}'{did_you_mean(key, known)}; known: {', '.join(known)}")
