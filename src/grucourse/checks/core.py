"""Self-checks for the exercises, in the style of Kaggle's learntools.

Every exercise is an :class:`Exercise` with three methods:

- ``check(answer)`` grades the learner's object (a function, a number, a :class:`GRUParams`, a
  model) and shows one verdict: correct, incorrect (with a specific message), not attempted (the
  stub is untouched) or a type/shape problem. It never raises on a wrong answer, so a notebook
  always runs top to bottom; it returns a :class:`CheckResult` (truthy only when correct).
- ``hint(n=1)`` shows the n-th hint.
- ``solution()`` shows the reference solution.

The answer is passed explicitly (``ex_gru_step.check(my_gru_step)``): no magic globals. A stub is
recognised as "not attempted" when it is ``None`` or ``...``, or when it is a function that raises
``NotImplementedError`` (what ``tools/make_exercises.py`` writes in place of a solution).
"""

from __future__ import annotations

import html
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
INVALID = "invalid"
ERROR = "error in your code"
SELF_ASSESS = "self-assess"

_HEADINGS = {
    CORRECT: ("Correct", "#009E73"),
    INCORRECT: ("Incorrect", "#D55E00"),
    NOT_ATTEMPTED: ("Not attempted", "#666666"),
    INVALID: ("Check your answer", "#E69F00"),
    ERROR: ("Error in your code", "#D55E00"),
    SELF_ASSESS: ("Grade yourself", "#0072B2"),
}
_PACKAGE = str(Path(__file__).resolve().parent.parent)
_LIBRARY = tuple({_PACKAGE, *(sysconfig.get_paths()[k]
                             for k in ("stdlib", "platstdlib", "purelib", "platlib"))})


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``Exercise.check``: ``status`` is one of correct / incorrect / not attempted /
    invalid / error in your code / self-assess (free text that only the learner can grade)."""

    exercise: str
    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def text(self) -> str:
        return f"{_HEADINGS[self.status][0]}: {self.message}"

    def _ipython_display_(self):
        """``check`` has already shown the verdict; showing the returned
        object again would repeat it."""


class Verdict(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def not_attempted(what: str = "") -> Verdict:
    extra = f" {what}" if what else ""
    return Verdict(NOT_ATTEMPTED, f"replace the stub with your answer{extra}, then "
                                   "run this check again.")


def invalid(message: str) -> Verdict:
    return Verdict(INVALID, message)


def incorrect(message: str) -> Verdict:
    return Verdict(INCORRECT, message)


def _show(mimebundle: dict) -> None:
    """Display rich output in Jupyter, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(mimebundle, raw=True)
            return
    except ImportError:  # plain Python without IPython
        pass
    print(mimebundle["text/plain"])


def is_stub(answer) -> bool:
    return answer is None or answer is Ellipsis


class FailedBuild:
    """What a course helper returns instead of raising when the learner's arguments are wrong.

    The assignment in the learner's cell still happens, so the next check sees this object (and says
    what went wrong) rather than grading the answer of an earlier run.
    """

    def __init__(self, call: str, message: str):
        self.call = call
        self.message = message
        text = f"{call} failed: {message}"
        _show({"text/plain": text,
               "text/html": '<div style="border-left: 4px solid #D55E00; padding: 0.2em 0.6em">'
                            f'<b style="color: #D55E00">{html.escape(call)} failed</b>: '
                            f'{html.escape(message)}</div>'})

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<{self.call} failed: {self.message}>"


def _need_built(answer, name: str) -> None:
    if isinstance(answer, FailedBuild):
        raise invalid(f"{name} is not built yet: {answer.call} failed ({answer.message}). "
                       "Fix that call, run its cell again, then this check.")


def _learner_frame(exc: BaseException):
    """The learner's line that failed: their innermost frame before the call leaves their code
    (for grucourse, numpy, the standard library or generated code such as a dataclass's
    ``__init__``), so an error raised inside a library points at the learner's call."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [i for i, f in enumerate(frames) if not f.filename.startswith(_PACKAGE)]
    if not mine:
        return None
    last = frames[mine[0]]  # the learner's function (tests define it with exec: "<string>")
    for f in frames[mine[0] + 1:]:
        if f.filename != last.filename and f.filename.startswith((*_LIBRARY, "<")):
            break
        last = f
    return last


def call_answer(fn, *args, what="your function"):
    """Call the learner's function; a stub raising NotImplementedError means "not attempted"."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise not_attempted("(the function still raises NotImplementedError)") from None
    except Exception as exc:
        # any error in the learner's code becomes a clear message, not a traceback
        frame = _learner_frame(exc)
        where = ""
        if frame is not None:
            where = (f" at line {frame.lineno} of your code"
                     + (f" (`{frame.line}`)" if frame.line else ""))
        raise Verdict(ERROR, f"{what} raised {type(exc).__name__}{where}: {exc}. Fix it, run the "
                              "cell that defines it again, then this check.") from None


def need_callable(answer, name: str):
    if is_stub(answer):
        raise not_attempted()
    if not callable(answer):
        raise invalid(f"pass your function itself, e.g. check({name}), not "
                       f"{type(answer).__name__} {answer!r:.60}")


def need_array(value, name: str, shape: tuple | None = None,
                integer: bool = False) -> np.ndarray:
    """``value`` if it is a numpy array of real numbers (``integer``: token ids) and ``shape``,
    else an INVALID verdict; a list is not the array a task asks for."""
    want = f" of shape {shape}" if shape is not None else ""
    if not isinstance(value, np.ndarray):
        extra = " (np.array(...) turns it into one)" if isinstance(value, list | tuple) else ""
        raise invalid(f"{name} should be a numpy array{want}, got a {type(value).__name__}{extra}")
    kind = value.dtype
    if integer and not np.issubdtype(kind, np.integer):
        raise invalid(f"{name} holds {kind} numbers; token ids are integers: return an "
                       "integer array (the dtype of the array you were given)")
    if not integer and (np.issubdtype(kind, np.bool_) or not np.issubdtype(kind, np.number)
                        or np.issubdtype(kind, np.complexfloating)):
        raise invalid(f"{name} holds {kind} values, expected real numbers")
    if shape is not None and value.shape != shape:
        raise invalid(f"{name} has shape {value.shape}, expected {shape}")
    return value


def as_array(value, name: str, shape: tuple) -> np.ndarray:
    """``value`` as a float array of the given shape, or an INVALID verdict saying what is wrong."""
    several = isinstance(value, tuple | list) and len(value) > 0
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        if several:
            raise invalid(f"{name} should be one array of shape {shape}, got a "
                           f"{type(value).__name__} of {len(value)} items of different shapes "
                           "(return only the array)") from None
        raise invalid(f"{name} should be a numeric array of shape {shape}, got "
                       f"{type(value).__name__}") from None
    if arr.shape != shape:
        if several and np.shape(value[0]) == shape:
            raise invalid(f"{name} should be one array of shape {shape}, got a "
                           f"{type(value).__name__} of {len(value)} items whose first item has "
                           "that shape (return only the array)")
        raise invalid(f"{name} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise invalid(f"{name} contains NaN or infinity")
    return arr


class Exercise:
    """One self-checked exercise: subclasses implement
    ``_grade(answer)`` by raising a ``Verdict``."""

    name = "exercise"
    hints: tuple[str, ...] = ()
    solution_code = ""
    solution_note = ""

    def check(self, answer=None) -> CheckResult:
        try:
            _need_built(answer, "the answer")
            self._grade(answer)
            result = CheckResult(self.name, INCORRECT,
                                 "the checker could not decide; please report this.")
        except Verdict as v:
            result = CheckResult(self.name, v.status, v.message)
        except Exception as exc:
            # a checker bug must not look like the learner's fault, nor stop the notebook
            result = CheckResult(self.name, INVALID,
                                 f"the answer could not be checked ({type(exc).__name__}: {exc})")
        title, colour = _HEADINGS[result.status]
        _show({
            "text/plain": result.text(),
            "text/html": (f'<div style="border-left: 4px solid {colour}; padding: 0.2em 0.6em; '
                          f'white-space: pre-wrap"><b style="color: {colour}">{title}</b>: '
                          f'{html.escape(result.message)}</div>'),
        })
        return result

    def hint(self, n: int = 1) -> None:
        """Show hint number ``n`` (1-based); past the last one, say so and point to the solution."""
        if not self.hints:
            _show({"text/plain": "No hint for this exercise: .solution() shows the answer."})
            return
        total = len(self.hints)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            _show({"text/plain": f"hint(n) takes a whole number from 1 to {total}, got {n!r}."})
            return
        if n > total:
            _show({"text/plain": f"There are only {total} hint(s) for this exercise, "
                                 f"and hint({total}) was the last one. .solution() shows "
                                 "the reference solution."})
            return
        more = (f"hint {n} of {total}; hint({n + 1}) gives the next" if n < total
                else f"hint {n} of {total}, the last one; .solution() shows the answer")
        text = f"Hint ({more}): {self.hints[n - 1]}"
        _show({"text/plain": text, "text/markdown": text})

    def solution(self) -> None:
        """Show the reference solution."""
        parts = []
        if self.solution_note:
            parts.append(self.solution_note)
        if self.solution_code:
            parts.append(f"```python\n{self.solution_code.strip()}\n```")
        text = "Solution:\n\n" + "\n\n".join(parts)
        _show({"text/plain": text, "text/markdown": text})

    def _grade(self, answer):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return f"<Exercise {self.name}: use .check(answer), .hint(), .solution()>"


def match_variants(got: list, variants: dict, atol=1e-6) -> str | None:
    """The message of the first wrong variant whose outputs equal ``got`` on every case."""
    for message, outputs in variants.items():
        if all(np.allclose(g, o, atol=atol) for g, o in zip(got, outputs, strict=True)):
            return message
    return None


