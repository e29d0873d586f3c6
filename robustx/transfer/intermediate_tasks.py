"""The English intermediate tasks (Phang et al. 2020 and jiant), with their hub and local sources.

Intermediate defaults (epochs 2, batch 32, max length 256; QA 16 / 384) are robustx's choice: the
paper's table gives target defaults only. Every value is overridable.
"""

from __future__ import annotations

from robustx.transfer import convert as cv
from robustx.transfer.layout import PAIR, QA, QA_OPTIONS, glue, split, standin
from robustx.transfer.spec import HubSpec, LocalFile, LocalSpec, TrainTask

mnli_train, mnli_dev = split(
    "english/MNLI/multinli_1.0_train.jsonl", "english/MNLI/multinli_1.0_dev_matched.jsonl"
)
anli_train = tuple(LocalFile(f"english/anli_v1.0/R{r}/train.jsonl") for r in (1, 2, 3))
anli_dev = tuple(LocalFile(f"english/anli_v1.0/R{r}/dev.jsonl", "head") for r in (1, 2, 3))
snli_train, snli_dev = standin(
    "english/snli_subset/snli_1.0_dev.jsonl", "english/snli_subset/snli_1.0_train.jsonl"
)
snli_train = (snli_train[0], LocalFile("english/snli_subset/snli_1.0_test.jsonl", stand_in=True))
siqa_train = (
    LocalFile("english/siqa/socialIQa_v1.4_trn.jsonl"),
    LocalFile("english/siqa/socialIQa_v1.4_tst.jsonl", stand_in=True),
)
siqa_dev = (LocalFile("english/siqa/socialIQa_v1.4_dev.jsonl", "head"),)

INTERMEDIATE_TASKS: tuple[TrainTask, ...] = (
    TrainTask(
        "mnli",
        "classification",
        "MultiNLI (GLUE): premise/hypothesis -> 3-way entailment",
        PAIR,
        cv.NLI_LABELS,
        HubSpec(*glue("mnli", "validation_matched"), convert=cv.nli_hub),
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
        HubSpec(*glue("qqp"), convert=cv.qqp),
        LocalSpec(
            "tsv_header",
            cv.qqp,
            *split("english/QQP/train.tsv", "english/QQP/dev.tsv"),
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
            *standin("english/BoolQ/dev.jsonl", "english/BoolQ/train.jsonl"),
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
            *split("squad/train-v1.1.json", "squad/dev-v1.1.json"),
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
            *split("english/SQuAD2/train-v2.0.json", "english/SQuAD2/dev-v2.0.json"),
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
            *split("english/hellaswag/hellaswag_train.jsonl", "english/hellaswag/hellaswag_val.jsonl"),
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
            *split("english/cosmosqa/train.csv", "english/cosmosqa/valid.csv"),
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
            *standin("english/CommonsenseQA/validation.jsonl", "english/CommonsenseQA/train.jsonl"),
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
        HubSpec("ybisk/piqa", None, ("train",), ("validation",), cv.piqa, revision="refs/convert/parquet"),
        LocalSpec(
            "jsonl",
            cv.piqa,
            *standin("english/PIQA/validation.jsonl", "english/PIQA/train.jsonl"),
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
            *split("english/ccg/ccg.train.tsv", "english/ccg/ccg.dev.tsv"),
            "CCGbank (LDC2005T13) is licensed by the LDC: convert its AUTO files to 'word<TAB>supertag' lines (blank line between sentences) as DATA/english/ccg/ccg.{train,dev}.tsv",
        ),
        licence="LDC (not redistributable)",
    ),
)
