"""Compare the outputs of two sets of executed notebooks, timings masked: did a change alter any result?

    python tools/compare_executed.py OLD_DIR NEW_DIR     # e.g. two copies of _build/executed

Cells are matched by their id. Each output is reduced to comparable text (stream text, text/plain,
text/html, text/markdown, image bytes, error name and value), the sanitising patterns of
``tests/nbval_sanitize.cfg`` (durations, addresses) are applied, widget model ids are masked, and
cells tagged ``nbval-ignore-output`` (wall-clock timings) are skipped, as nbval skips them. It prints
every cell whose outputs differ, with the first differing line, and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDGET_ID = re.compile(r'"?model_id"?\s*[:=]\s*"?[0-9a-f]{32}"?')


def sanitizers() -> list[tuple[re.Pattern, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def output_text(out: dict) -> str:
    """One output as text: what a reader sees (images as their bytes, widgets by their view only)."""
    kind = out.get("output_type")
    if kind == "stream":
        return f"{out['name']}: {''.join(out['text'])}"
    if kind == "error":
        return f"error: {out['ename']}: {out['evalue']}"
    data = out.get("data", {})
    parts = []
    for mime in sorted(data):
        value = data[mime]
        value = "".join(value) if isinstance(value, list) else value
        parts.append(f"{mime}: {json.dumps(value) if isinstance(value, dict) else value}")
    return "\n".join(parts)


def cell_outputs(path: Path, subs) -> dict[str, str]:
    nb = json.loads(path.read_text())
    out = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "nbval-ignore-output" in cell["metadata"].get("tags", []):
            continue
        merged = []  # consecutive stream outputs of one name are one text, however the kernel split them
        for o in cell.get("outputs", []):
            if merged and o.get("output_type") == "stream" == merged[-1].get("output_type") \
                    and o["name"] == merged[-1]["name"]:
                merged[-1] = {**merged[-1], "text": "".join(merged[-1]["text"]) + "".join(o["text"])}
            else:
                merged.append(o)
        text = "\n".join(output_text(o) for o in merged)
        for pattern, replace in subs:
            text = pattern.sub(replace, text)
        out[cell.get("id", "")] = WIDGET_ID.sub("model_id: ID", text)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    subs = sanitizers()
    differ, cells = 0, 0
    for old in sorted(args.old.rglob("*.ipynb")):
        new = args.new / old.relative_to(args.old)
        if not new.exists():
            print(f"missing in {args.new}: {new.relative_to(args.new)}")
            differ += 1
            continue
        a, b = cell_outputs(old, subs), cell_outputs(new, subs)
        for cid in sorted(set(a) | set(b)):
            cells += 1
            if cid not in a and not b[cid]:
                print(f"{old.relative_to(args.old)} cell {cid}: new cell, no output")
                continue
            if a.get(cid) != b.get(cid):
                differ += 1
                la = (a.get(cid) or "<no cell>").splitlines() or [""]
                lb = (b.get(cid) or "<no cell>").splitlines() or [""]
                first = next((i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y), min(len(la), len(lb)))
                print(f"{old.relative_to(args.old)} cell {cid}: line {first + 1}")
                print(f"  old: {(la[first] if first < len(la) else '<end>')[:160]}")
                print(f"  new: {(lb[first] if first < len(lb) else '<end>')[:160]}")
    print(f"{cells} cells compared, {differ} differ (timings masked)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
