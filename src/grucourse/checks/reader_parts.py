"""The checkable part (a) of each reader task: a choice, a pair of numbers or a
shape that a program can grade.

Part (b) of each task, the written answer, is self-assessed (``reader_tasks.ReaderTask``).
"""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    incorrect,
    invalid,
    is_stub,
    not_attempted,
)
from grucourse.core.gru_keras import count_params


class Choice(Exercise):
    """Pick one letter; every wrong letter has its own explanation."""

    def __init__(self, name: str, options: dict[str, str], right: str, why: str,
                 wrong: dict[str, str], hints: tuple[str, ...]):
        if right not in options or set(wrong) != set(options) - {right}:
            raise ValueError(f"{name}: one right option and an explanation for every other one")
        self.name, self.options, self.right, self.why, self.wrong, self.hints = (
            name, options, right, why, wrong, hints)
        self.solution_code = (f'{name.replace("reader_task_", "answer_")} = "{right}"'
                              f'   # {options[right]}')
        self.solution_note = why

    def _grade(self, answer):
        if is_stub(answer):
            raise not_attempted('(a letter in quotes, e.g. "a")')
        letters = ", ".join(f'"{k}"' for k in self.options)
        if not isinstance(answer, str):
            raise invalid(f"answer with one letter in quotes ({letters}), got "
                           f"{type(answer).__name__} {answer!r:.30}")
        key = answer.strip().strip("()").lower()
        if key not in self.options:
            raise invalid(f"{answer!r:.30} is not one of the options: "
                           f"answer with one of {letters}")
        if key == self.right:
            raise Verdict(CORRECT, self.why)
        raise incorrect(f'"{key}" ({self.options[key]}): {self.wrong[key]}')


class Exact(Exercise):
    """A tuple of whole numbers with one right value; known wrong values get their own message."""

    def __init__(self, name: str, right: tuple[int, ...], what: str, why: str,
                 wrong: dict[tuple, str], hints: tuple[str, ...], solution_code: str):
        self.name, self.right, self.what, self.why, self.wrong, self.hints = (
            name, right, what, why, wrong, hints)
        self.solution_code = solution_code.replace("part_a",
                                                   name.replace("reader_task_", "answer_"))
        self.solution_note = why

    def _grade(self, answer):
        if is_stub(answer):
            raise not_attempted()
        n = len(self.right)
        if isinstance(answer, tuple | list) and tuple(answer) in self.wrong:
            raise incorrect(self.wrong[tuple(answer)])
        if not isinstance(answer, tuple | list) or len(answer) != n or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in answer):
            raise invalid(f"answer with {self.what}: a tuple of {n} whole numbers, "
                           f"got {answer!r:.40}")
        got = tuple(answer)
        if got == self.right:
            raise Verdict(CORRECT, self.why)
        if got in self.wrong:
            raise incorrect(self.wrong[got])
        raise incorrect(f"{got} is not {self.what}; check each number again (the hints show how).")


GRU_10_32, GRU_10_32_BEFORE, LSTM_10_32 = (count_params("gru", 10, 32, True),
                                           count_params("gru", 10, 32, False),
                                           count_params("lstm", 10, 32))

PARTS = {
    1: Choice(
        "reader_task_1a",
        {"a": "z_t near 0", "b": "z_t near 1", "c": "r_t near 0", "d": "r_t near 1"},
        "a",
        "with z_t near 0 a step computes h_t = h_{t-1}: its Jacobian is close to the identity, "
        "so the state and the gradient pass many steps almost unchanged (chapter 6).",
        {"b": "in the source's convention z_t = 1 takes the candidate, so the state "
              "is rewritten at every step.",
         "c": "r only changes what the candidate sees; with z open the state is still rewritten.",
         "d": "r = 1 makes the candidate a plain RNN step; whether the state "
              "keeps its value is up to z."},
        ("Which gate appears in h_t = (1 - z_t) h_{t-1} + z_t h~_t?",),
    ),
    2: Choice(
        "reader_task_2a",
        {"a": "h_{t-1}, unchanged", "b": "zero",
         "c": "tanh(x_t W_h + b_h), a candidate that ignores h_{t-1}",
         "d": "the average of h_{t-1} and the candidate"},
        "c",
        "z_t = 1 takes the candidate (source convention), and r_t = 0 hides h_{t-1} from it, "
        "so the new state is tanh(x_t W_h + b_h): a fresh start from the input.",
        {"a": "that would be z_t = 0, which keeps the state; here z_t = 1 takes the candidate.",
         "b": "no gate sets the state to zero: r_t = 0 only hides h_{t-1} from the "
              "candidate, which still sees x_t.",
         "d": "the average would be z_t = 0.5; with z_t = 1 the candidate replaces the state."},
        ("With z_t = 1, which term of h_t = (1 - z_t) h_{t-1} + z_t h~_t is left?",
         "With r_t = 0, what is left of h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)?"),
    ),
    3: Exact(
        "reader_task_3a", (GRU_10_32, LSTM_10_32),
        "the parameter counts of GRU(32) and LSTM(32) on 10 features (Keras defaults)",
        f"GRU(32): 3 blocks x 32 x (10 + 32 + 2) = {GRU_10_32}; "
        f"LSTM(32): 4 x 32 x (10 + 32 + 1) = {LSTM_10_32}, "
        f"so the GRU has {GRU_10_32 / LSTM_10_32:.0%} of the LSTM's parameters.",
        {(GRU_10_32_BEFORE, LSTM_10_32): f"{GRU_10_32_BEFORE} is the GRU with reset_after=False; "
                                         "Keras's default reset_after=True has two bias "
                                         "vectors per block.",
         (LSTM_10_32, GRU_10_32): "the two numbers are swapped: the LSTM, with four blocks, "
                                  "is the larger one."},
        ("A GRU has 3 blocks (update, reset, candidate), an LSTM 4; each has a (d, u) input "
         "matrix, a (u, u) recurrent matrix and biases.",
         "Keras's GRU has two bias vectors per block by default (reset_after=True): "
         "3u(d + u + 2)."),
        f"part_a = ({GRU_10_32}, {LSTM_10_32})   # 3*32*(10+32+2), 4*32*(10+32+1)",
    ),
    4: Choice(
        "reader_task_4a",
        {"a": "little training data and a small model on a device",
         "b": "very long sequences with complex, far-apart dependencies",
         "c": "any task, because the GRU is always the more accurate model",
         "d": "only GPU training, because only cuDNN makes the GRU faster"},
        "a",
        "fewer parameters and one state vector help most when data, memory or latency "
        "are tight; the course found the GRU ahead of an LSTM of the same width on "
        "small training sets (chapter 9).",
        {"b": "that is where the source expects the LSTM to do slightly better "
              "(the course could not confirm it).",
         "c": "no: accuracy depends on the task and the budget; published comparisons "
              "find no consistent winner.",
         "d": "the GRU's smaller size pays on any hardware; its speed has to be "
              "measured where it runs."},
        ("Which resources does a model with about 25% fewer parameters save?",),
    ),
    5: Exact(
        "reader_task_5a", (100, 32),
        "the shape of what GRU(32) passes to the Dense layer for all of X",
        "GRU(32) returns only its final state h_20 for each of the 100 sequences: shape (100, 32).",
        {(100, 20, 32): "that is return_sequences=True (every step's state); by default only "
                        "the last state is returned.",
         (20, 32): "that is one sequence's states at every step; the layer returns one "
                   "final state per sequence.",
         (32,): "that is one sequence's final state; X holds 100 sequences.",
         (100, 10): "10 is the number of input features; the state has 32 numbers."},
        ("X has shape (100, 20, 10): 100 sequences, 20 steps, 10 features. How many "
         "numbers does the state have?",
         "By default a Keras RNN layer returns only the state after the last step."),
        "part_a = (100, 32)   # one final state of 32 numbers per sequence",
    ),
}
