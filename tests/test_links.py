"""Every link between the course's pages points at a page that exists, and at a heading it has.

Chapters are renumbered as the course grows; a link to a missing notebook (or to a section heading that
was renamed) would only show up as a dead link in the book and in JupyterLab. These tests read every
Markdown link to a ``.ipynb`` or ``.md`` file in the notebooks, ``intro.md``, the index pages and the
README, and check the target file and, when the link names one, the ``#heading`` anchor.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+?\.(?:ipynb|md))(#[^)\s]*)?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)


def pages() -> list[Path]:
    found = [ROOT / "intro.md", ROOT / "README.md", ROOT / "references.md"]
    for folder in ("chapters", "exercises", "solutions"):
        found += sorted((ROOT / folder).glob("*.ipynb")) + sorted((ROOT / folder).glob("*.md"))
    return [p for p in found if p.exists()]


def markdown_of(path: Path) -> str:
    """The Markdown text of a page: a notebook's Markdown cells joined, or a ``.md`` file."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def slug(heading: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s", "-", text)


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(markdown_of(path))}


def links(path: Path) -> list[tuple[str, str]]:
    text = markdown_of(path)
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks hold examples, not links
    return [(m.group(1), (m.group(2) or "")[1:]) for m in LINK.finditer(text)
            if not m.group(1).startswith(("http://", "https://"))]


def broken_links(page: Path) -> list[str]:
    broken = []
    for target, anchor in links(page):
        path = (page.parent / target).resolve()
        if not path.exists():
            broken.append(f"{target}: no such page")
        elif anchor and anchor not in anchors(path):
            broken.append(f"{target}#{anchor}: no heading with that anchor in {path.name}")
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_links_point_at_existing_pages_and_headings(page):
    broken = broken_links(page)
    assert not broken, f"{page.relative_to(ROOT)} has broken links:\n" + "\n".join(broken)


def test_the_link_check_can_fail(tmp_path):
    """A planted link to a missing notebook and one to a missing heading are both reported."""
    (tmp_path / "a.md").write_text("# Top\n\n## A section: here\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text("[x](a.md#a-section-here) [y](a.md#gone) [z](missing.ipynb)\n", encoding="utf-8")
    assert links(page) == [("a.md", "a-section-here"), ("a.md", "gone"), ("missing.ipynb", "")]
    assert anchors(tmp_path / "a.md") == {"top", "a-section-here"}
    assert broken_links(page) == ["a.md#gone: no heading with that anchor in a.md",
                                  "missing.ipynb: no such page"]
