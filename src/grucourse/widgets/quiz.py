"""A small multiple-choice quiz widget: offline, in JupyterLab and in the static book.

The questions are plain data (``question``, ``answers`` with ``answer``, ``correct``,
``feedback``); their text is HTML, and :func:`math` writes formulas as ``<i>``/``<sub>`` markup, so
the widget needs no MathJax and loads nothing from the internet. The JavaScript (``quiz.js``) ships
inside grucourse.
"""

from __future__ import annotations

import re
from pathlib import Path

import anywidget
import traitlets

HERE = Path(__file__).parent
_TOKEN = re.compile(r"([A-Za-z]{2,})|([A-Za-z])(~?)(?:_(\{[^}]*\}|[A-Za-z0-9]))?|(-)")


def math(tex: str) -> str:
    """Inline HTML for a small formula: ``math("h_{t-1}")`` -> ``<i>h</i><sub><i>t</i>−1</sub>``.

    One letter is a variable (italic), ``x~`` puts a tilde on it, ``_t`` or ``_{...}`` is a
    subscript, words of two or more letters (``tanh``) stay upright, and ``-`` becomes a minus
    sign.
    """

    def sub(m: re.Match) -> str:
        word, letter, tilde, index, minus = m.groups()
        if word:
            return word
        if minus:
            return "\u2212"
        out = f"<i>{letter}{chr(0x303) if tilde else ''}</i>"
        if index:
            out += f"<sub>{math(index.strip('{}'))}</sub>"
        return out

    return f'<span class="gq-math">{_TOKEN.sub(sub, tex)}</span>'


def _validate(questions: list[dict]) -> list[dict]:
    if not isinstance(questions, list) or not questions:
        raise ValueError("a quiz needs a non-empty list of questions")
    for i, q in enumerate(questions, 1):
        answers = q.get("answers") if isinstance(q, dict) else None
        if not q.get("question") or not answers:
            raise ValueError(f"question {i} needs 'question' text and a list of 'answers'")
        if sum(bool(a.get("correct")) for a in answers) != 1:
            raise ValueError(f"question {i} must have exactly one correct answer")
        if not all(a.get("answer") and a.get("feedback") for a in answers):
            raise ValueError(f"every answer of question {i} needs 'answer' and 'feedback' text")
    return questions


class Quiz(anywidget.AnyWidget):
    """Multiple-choice questions; a click on an option shows whether it is right and why."""

    _esm = HERE / "quiz.js"
    _css = HERE / "quiz.css"
    questions = traitlets.List().tag(sync=True)

    def __init__(self, questions: list[dict], **kwargs):
        super().__init__(questions=_validate(questions), **kwargs)
