"""The gate quiz of exercise set 1: which way do the gates work? (shown with
grucourse.widgets.quiz.Quiz)."""

from __future__ import annotations

from grucourse.core.gru_keras import count_params
from grucourse.widgets.quiz import Quiz, math

_UPDATE = math("h_t = (1 - z_t) h_{t-1} + z_t h~_t")

# Every question has exactly one right answer, written first here; the options of a question have
# similar lengths, so the length of an option gives nothing away (tests/test_checks_reader_tasks.py
# checks it). QUIZ, below, shows the right answer at a different place in each question.
_QUESTIONS = [
    {
        "question": f"In the source's convention {_UPDATE}, a unit's update gate is "
                    f"{math('z_t')} = 0.01 at every step. What happens to that unit's state?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It is kept almost unchanged: each step keeps 99% of it.", "correct": True,
             "feedback": f"{math('z')} near 0 copies {math('h_{t-1}')} forward. Keras writes the "
                         f"same model with {math('z')} and 1 {math('- z')} swapped."},
            {"answer": "It is replaced by the candidate at almost every step.", "correct": False,
             "feedback": f"That is what {math('z')} near 1 does in this convention; "
                         "Keras's equation is the other way round, which is why the direction of "
                         f"{math('z')} is a classic confusion."},
            {"answer": "It is reset to zero after one step and then stays at zero.",
             "correct": False,
             "feedback": f"No gate sets the state to zero directly: {math('z')} only mixes the "
                         "old state with the candidate."},
        ],
    },
    {
        "question": f"The reset gate of a unit is fully open, {math('r_t')} = 1. Does the GRU "
                    "then behave like a plain RNN?",
        "type": "multiple_choice",
        "answers": [
            {"answer": f"Only if also {math('z_t')} = 1: then {math('h_t')} is the "
                       "candidate, an RNN step.",
             "correct": True,
             "feedback": f"With {math('r')} = 1 the candidate "
                         f"{math('h~_t = tanh(x_t W_h + h_{t-1} U_h + b_h)')} is a plain RNN step, "
                         f"but the state is one only if {math('z')} passes it through unmixed."},
            {"answer": f"Yes: {math('r_t')} = 1 always turns the GRU into a plain RNN.",
             "correct": False,
             "feedback": "A classic misconception: the candidate is an RNN step, but "
                         f"{math('z')} still mixes it with the old state, which keeps "
                         "the additive memory path."},
            {"answer": "No: it becomes a feed-forward layer that ignores the past.",
             "correct": False,
             "feedback": f"That is closer to {math('r')} = 0 and {math('z')} = 1: the candidate "
                         f"then ignores {math('h_{t-1}')}."},
        ],
    },
    {
        "question": f"A unit's reset gate closes, {math('r_t')} = 0, at a step where "
                    f"{math('z_t')} = 0. What is {math('h_t')}?",
        "type": "multiple_choice",
        "answers": [
            {"answer": f"{math('h_t = h_{t-1}')}: the old state is kept.", "correct": True,
             "feedback": f"{math('r')} only changes the candidate, and with {math('z')} = 0 "
                         "the candidate is not used."},
            {"answer": f"{math('h_t')} = 0: the reset gate erased the memory.", "correct": False,
             "feedback": "The name misleads: the reset gate cannot erase the state; only the "
                         "update gate can overwrite it (exercise 3.3 tests this)."},
            {"answer": f"{math('h_t = tanh(x_t W_h + b_h)')}: a fresh start.", "correct": False,
             "feedback": f"That would be the candidate, which {math('z')} = 0 does not let in."},
        ],
    },
    {
        "question": "keras.layers.GRU(32) reads sequences with 10 features (the source's "
                    "example). How many parameters does the layer have, with Keras's "
                    "default reset_after=True?",
        "type": "multiple_choice",
        "answers": [
            {"answer": f"{count_params('gru', 10, 32, True):,}", "correct": True,
             "feedback": "3 blocks × 32 units × (10 + 32 + 2)."},
            {"answer": f"{count_params('gru', 10, 32, False):,}", "correct": False,
             "feedback": "That is reset_after=False (one bias vector per block); "
                         "the Keras default has two."},
            {"answer": f"{count_params('lstm', 10, 32):,}", "correct": False,
             "feedback": "That is an LSTM(32): four blocks."},
        ],
    },
    {
        "question": "Which statement about GRU vs LSTM does the course's evidence support?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The GRU has about 25% fewer parameters; accuracy depends on the task.",
             "correct": True,
             "feedback": "3 blocks instead of 4, always; accuracy is an empirical question "
                         "(chapter 8 found the GRU ahead on one task with a short budget, "
                         "Chung et al. (2014) no consistent winner)."},
            {"answer": "The GRU is always more accurate, because it is the simpler model.",
             "correct": False,
             "feedback": "Simpler is not always more accurate: the course measured one "
                         "task and one budget, and Chung et al. (2014) found no consistent "
                         "winner across tasks."},
            {"answer": "The LSTM always learns longer dependencies than the GRU does.",
             "correct": False,
             "feedback": "Not on the course's measurements: both have an additive memory path, "
                         "and on longer sequences the LSTM did not do better within the "
                         "training budget (chapter 9)."},
        ],
    },
]

# where the right answer is shown in each question (0 = first): not always the first option
_RIGHT_AT = (1, 2, 0, 2, 1)


def _place(question: dict, at: int) -> dict:
    """``question`` with its right answer at position ``at``, the wrong ones in their order."""
    wrong = [a for a in question["answers"] if not a["correct"]]
    right = [a for a in question["answers"] if a["correct"]]
    return {**question, "answers": wrong[:at] + right + wrong[at:]}


QUIZ = [_place(q, at) for q, at in zip(_QUESTIONS, _RIGHT_AT, strict=True)]


def show_quiz() -> Quiz:
    """The gate quiz as a widget: click an option to see whether it is
    right and why (works offline)."""
    return Quiz(QUIZ)
