"""The HTML report: self-contained, hostile text escaped, changed spans marked, figures present."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from robustx.report.build import build_report
from robustx.report.collect import RunResult, read_run
from robustx.report.samples import pick, read_samples
from tests.runfactory import outcomes, plant_drop, write_run

HOSTILE = "<script>alert(\"x\")</script> & 'q' "
EVIL_BASE = "<img src=x onerror=alert(1)>"
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("runs")
    base = outcomes(("en", "ar", "hi", "zh"), 120, 0.75, 0.12, seed=5)
    lineage = {"base": EVIL_BASE, "intermediate": ['"quoted" & co'], "target": "xnli", "seed": 0}
    write_run(root, base, model="hostile", lineage=lineage, special=HOSTILE)
    write_run(root, base, model="hostile", attack="keyboard:rate=0.2", lineage=lineage, special=HOSTILE)
    write_run(root, plant_drop(base, 0.2, seed=6), model="other")
    # a run outside the runs/<model>/... layout: its name comes from config.json, hostile too
    flat = write_run(root / "x", base, model="flat")
    moved = shutil.move(str(flat), str(root / "flat-run"))
    config = json.loads((Path(moved) / "config.json").read_text())
    config["model"] = 'ev"il<b>&name'
    (Path(moved) / "config.json").write_text(json.dumps(config))
    out = tmp_path_factory.mktemp("report")
    result = build_report([root], out, samples_per_model=6)
    assert len(result.board.rows) == 3
    return out / "leaderboard.html", (out / "leaderboard.html").read_text(encoding="utf-8")


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained(page: tuple[Path, str]) -> None:
    _, html = page
    parser = Elements()
    parser.feed(html)
    tags = {tag for tag, _ in parser.tags}
    assert {"table", "svg", "mark", "details"} <= tags
    assert not tags & {"script", "img", "iframe", "link", "object", "embed", "image", "use", "foreignobject"}
    attrs = [(name, value or "") for _, a in parser.tags for name, value in a.items()]
    assert not [name for name, _ in attrs if name == "src" or name.startswith("on")]
    assert all(value.startswith("#") for name, value in attrs if name in ("href", "xlink:href"))
    assert "http://" not in html and "https://" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert html.count("<style>") == 1


def test_hostile_text_is_escaped_everywhere(page: tuple[Path, str]) -> None:
    _, html = page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "&quot;quoted&quot; &amp; co" in html
    assert "ev&quot;il&lt;b&gt;&amp;name" in html and 'ev"il' not in html and "<b>&" not in html


def test_changed_spans_are_highlighted_in_the_attacked_text(page: tuple[Path, str]) -> None:
    _, html = page
    # the factory's attack turned "committee" into "comimttee" with span [3, 5) of that word
    assert html.count("com<mark>im</mark>ttee") >= 6
    assert re.search(r'<span class="clean" lang="ar" dir="auto">[^<]*committee', html)


def test_samples_are_successful_adversarial_examples(tmp_path: Path) -> None:
    data = outcomes(("en", "de"), 80, 0.7, 0.2, seed=9)
    run = read_run(write_run(tmp_path, data))
    assert isinstance(run, RunResult)
    samples = read_samples(pick([run], 10))
    assert len(samples) == 6  # CANDIDATES_PER_LANGUAGE x 2 languages
    for s in samples:
        assert s.pred_clean == s.gold and s.pred_attacked != s.gold
        assert s.p_gold_clean > s.p_gold_attacked
    assert {s.lang for s in samples} == {"en", "de"}


def test_figures_are_embedded(page: tuple[Path, str]) -> None:
    _, html = page
    labels = re.findall(r'aria-label="([^"]*)"', html)
    assert sum(label.startswith("Drop per language and attack for") for label in labels) == 3
    assert sum(label.startswith("Clean vs attacked") for label in labels) == 2  # charnoise, keyboard
    assert sum(label.startswith("Drop by script") for label in labels) == 2
    assert sum(label.startswith("Drop by language family") for label in labels) == 2
    assert "Han" in html and "Devanagari" in html and "Sino-Tibetan" in html and "IE: Indo-Aryan" in html


@pytest.mark.skipif(
    CHROMIUM is None, reason="no headless chromium (Debian: apt install chromium-headless-shell)"
)
def test_renders_in_a_headless_browser_without_console_errors(page: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = page
    shot = tmp_path / "shot.png"
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
    url = path.resolve().as_uri()
    snap = subprocess.run(
        [*flags, "--window-size=1280,2000", f"--screenshot={shot}", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 20_000, snap.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for log in (snap.stderr, dom.stderr):
        assert "CONSOLE" not in log and "Refused to" not in log, log[-2000:]
    assert dom.stdout.count("<table") >= 4 and "Leaderboard" in dom.stdout and "<svg" in dom.stdout
