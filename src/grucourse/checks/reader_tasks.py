"""Exercise set 1: the reader tasks (self-assessed written answers);
the quiz is in ``gate_quiz``."""

from __future__ import annotations

import re

from grucourse.checks.core import (
    SELF_ASSESS,
    Exercise,
    Verdict,
    incorrect,
    invalid,
    is_stub,
    not_attempted,
)
from grucourse.checks.reader_parts import PARTS

# --- Reader tasks: self-assessment of written answers ----------------------------


# Statements about the gates that are wrong in the source's convention,
# h_t = (1 - z) h_prev + z h_tilde. Each entry: (pattern that must match within one sentence, why
# it is wrong). Sentences that negate the claim ("does not erase") or speak of Keras's convention
# are not flagged.
MISCONCEPTIONS = (
    (r"reset gate\b[^.;,]*\b(erase[sd]?|wipe[sd]?|clear[sed]*|delete[sd]?|zeroe?s|resets) "
     r"(out )?(the |its |all )?(hidden )?(state|memory|past|h)",
     "the reset gate cannot erase the state by itself: it only changes what the candidate sees; "
     "the state is kept whenever z = 0, whatever r is (chapter 4, exercise 3.3)"),
    (r"\bz(_t)? ?(=|is|near|close to|of|≈) ?1\b[^.;,]*\b"
     r"(keeps?|kept|preserv\w*|retain\w*|unchanged|overwrites? nothing|copies|remembers?)",
     "in the source's convention z = 1 takes the candidate (it overwrites the state) and z = 0 "
     "keeps it; Keras writes the same model the other way round, so say which convention you mean"),
    (r"\bz(_t)? ?(=|is|near|close to|of|≈) ?0\b[^.;,]*\b"
     r"(overwrit\w*|replac\w*|forget\w*|erase\w*|takes? the candidate)",
     "in the source's convention z = 0 keeps the old state and z = 1 takes the candidate"),
)
_NEGATION = re.compile(r"\b(not|cannot|can't|never|no longer|doesn't|isn't|keras|"
                       r"only the update)\b", re.I)
_FUNCTION_WORDS = re.compile(r"\b(the|a|an|is|are|of|to|and|in|it|that|so|its|by|with|from|at|as|"
                             r"which|when)\b", re.I)


def misconceptions(text: str) -> list[str]:
    """The explanations of the wrong gate statements found in ``text`` (one per kind)."""
    found = []
    sentences = re.split(r"(?<=[.!?;])\s+|\n+", text)
    for pattern, why in MISCONCEPTIONS:
        for sentence in sentences:
            if re.search(pattern, sentence, re.I) and not _NEGATION.search(sentence):
                found.append(f'"{sentence.strip()[:90]}": {why}')
                break
    return found


def reads_as_prose(text: str) -> bool:
    """False for keyword lists: real sentences have function words ("the",
    "is", "of", ...) and verbs."""
    words = text.split()
    return (len(_FUNCTION_WORDS.findall(text)) >= 0.15 * len(words)
            and len(re.findall(r"[.!?]", text)) >= 2)


class ReaderTask(Exercise):
    """A written answer, self-assessed: the check never calls free text correct.

    It rejects what it can judge (too short, a list of keywords, a wrong statement about the
    gates), then shows a keyword scan, labelled as such, next to the model answer and its
    rubric, and the learner grades themselves. The parts that a program can grade are
    separate exercises (``reader_parts``).
    """

    MIN_WORDS = 25

    def __init__(self, number: int, title: str, key_points: dict[str, str], need: int,
                 hints: tuple[str, ...], summary: str):
        self.name = f"reader_task_{number}"
        self.number = number
        self.title = title
        self.key_points = key_points  # rubric item -> regex for the words that usually express it
        self.need = need
        self.hints = hints
        self.model_answer = summary  # the short model answer, plain text
        self.solution_note = (f"{summary}\n\nThe full model answer, with the course's "
                              "measurements and a rubric, is in solutions/01_reader_tasks.ipynb "
                              f"(task {number}).")
        self.part_a = PARTS[number]  # the part of the task that a program can grade

    def covered(self, text: str) -> dict[str, bool]:
        return {point: bool(re.search(rx, text, re.I)) for point, rx in self.key_points.items()}

    def rubric(self) -> str:
        return "\n".join(f"- [ ] {point}" for point in self.key_points)

    def _grade(self, answer):
        if is_stub(answer):
            raise not_attempted("(write your answer in the string)")
        if not isinstance(answer, str):
            raise invalid("write your answer as a text string between triple quotes, "
                           f"got {type(answer).__name__}")
        words = len(answer.split())
        if words == 0:
            raise not_attempted("(the string is empty)")
        if words < self.MIN_WORDS:
            raise incorrect(f"{words} words is too short to cover the rubric; "
                             "aim for 80-200 words.")
        if not reads_as_prose(answer):
            raise incorrect("this does not read as sentences (few of the small words that "
                             "join ideas, or fewer than two full stops); explain in full "
                             "sentences, then check again.")
        wrong = misconceptions(answer)
        if wrong:
            raise incorrect("your answer states something wrong about the gates: "
                             + " | ".join(wrong))
        cov = self.covered(answer)
        found = [p for p, ok in cov.items() if ok]
        missing = [p for p, ok in cov.items() if not ok]
        if not found:
            raise incorrect(f"a keyword scan finds none of the {len(cov)} rubric ideas in your "
                             f"{words} words ({'; '.join(missing)}), so this does not answer "
                             f'the task "{self.title}". Answer the question asked; the hints '
                             "(.hint()) show where to start.")
        scan = (f"a keyword scan finds words for {len(found)} of the {len(cov)} rubric ideas"
                + (f" (no words for: {'; '.join(missing)})" if missing else ""))
        raise Verdict(SELF_ASSESS, "this check cannot tell whether your reasoning is right; "
                                    f"{scan}. Grade yourself against the model answer and rubric "
                                    f"below.\n\nModel answer: {self.model_answer}\n\n"
                                    f"Rubric (one point each):\n{self.rubric()}")


READER_TASKS = (
    ReaderTask(
        1, "Why the GRU over a plain RNN",
        {
            "vanishing (or exploding) gradients in plain RNNs": r"vanish|explod",
            "long-term dependencies are hard for a plain RNN":
                r"long[- ](term|range)|distant|far back|many steps",
            "gates decide what to keep or overwrite": r"gate|gating",
            "an additive / identity path through the update gate":
                r"additive|identity|interpolat|copy|carr(y|ies)",
            "a measurement from the course (gradients or accuracy vs lag)":
                r"measur|experiment|figure|lag|chapter",
        },
        3,
        ("Start from what goes wrong in a plain RNN when the answer depends "
         "on an input many steps back.",
         "Explain why h_t = (1 - z) h_prev + z h_tilde lets information (and gradients) pass "
         "unchanged when z is near 0, and cite the experiments of chapters 1 and 6."),
        "A plain RNN multiplies its state by the same recurrent matrix and squashes it at every "
        "step, so gradients from distant steps vanish (or explode) and long-range dependencies are "
        "not learned. The GRU's update gate interpolates between the old state and a candidate, "
        "giving an almost-identity path when z is near 0: information and gradients survive many "
        "steps. Chapter 1 measures this: trained GRUs learn delayed recall at lags where plain "
        "RNNs stay near chance; chapter 6 shows they keep a large gradient across 50 steps while, "
        "untrained, the GRU loses its gradient too, so it is the trained gate that opens the path.",
    ),
    ReaderTask(
        2, "Roles of the update and reset gates",
        {
            "update gate z mixes old state and candidate": r"update gate|\bz\b|z_t",
            "reset gate r controls how much old state the candidate sees": r"reset gate|\br\b|r_t",
            "candidate state h_tilde": r"candidate|h_tilde|h~|tilde",
            "which way z interpolates (z = 1 takes the candidate, source convention)":
                r"1 ?- ?z|interpolat|convention",
            "reset does not erase the state by itself (only z overwrites)":
                r"only (the )?update|does not erase|not erase|cannot erase|overwrit",
        },
        3,
        ("Write the two equations that use z and r and say in words what each product does.",
         "Careful: closing the reset gate does not wipe the hidden state; which gate "
         "decides whether h_prev is kept?"),
        "The update gate z_t decides, per unit, how much of the state is replaced: "
        "h_t = (1 - z_t) h_prev + z_t h_tilde_t (source convention; Keras swaps z and 1 - z). "
        "The reset gate r_t decides how much of h_prev the candidate sees: "
        "h_tilde_t = tanh(x_t W_h + (r_t * h_prev) U_h + b_h). r near 0 lets the unit start "
        "afresh from the input, but only z can actually overwrite the state "
        "(chapter 4's gate traces).",
    ),
    ReaderTask(
        3, "GRU vs LSTM: structure, complexity, performance",
        {
            "structure: 2 gates and one state vs 3 gates plus a cell state":
                r"cell state|three gates|3 gates|two gates|2 gates|output gate",
            "parameter count 3u(d+u+...) vs 4u(d+u+1), about 25% fewer":
                r"param|3u|4u|25 ?%|three.quarters|3/4",
            "speed / compute per step": r"fast|speed|time|flop|compute|cost",
            "accuracy is comparable, task-dependent":
                r"comparable|similar|depend|no clear|either|match",
            "evidence from the course's measurements":
                r"measur|experiment|benchmark|figure|chapter",
        },
        3,
        ("Count the gates and state vectors of each, then count parameters with "
         "grucourse.core.gru_keras.count_params.",
         "For performance, separate speed (time per epoch) from accuracy, and quote "
         "chapter 8's measurements."),
        "Structure: the GRU has two gates and one state vector; the LSTM has three gates and a "
        "separate cell state. Complexity: a GRU layer has 3u(d+u+2) parameters in Keras (3u(d+u+1) "
        "without reset_after), an LSTM 4u(d+u+1), so about a quarter fewer for the same width, and "
        "3/4 of the computation per step (measured time on a small CPU need not follow that ratio: "
        "speed must be measured on the target hardware). Performance: task- and budget-dependent; "
        "on the adding problem with a short budget the GRU learned and the LSTM did not "
        "(chapter 8), while Chung et al. (2014) found no consistent winner.",
    ),
    ReaderTask(
        4, "When to prefer the GRU",
        {
            "limited data or small models (fewer parameters, less overfitting)":
                r"small|limited|less data|fewer param|overfit",
            "latency, memory or on-device constraints":
                r"latency|memory|device|edge|embedded|mobile|real.time|speed|fast",
            "moderate-length dependencies": r"moderate|not extremely|medium|short",
            "when LSTM might still be preferred (very long or complex dependencies)":
                r"lstm.*(better|prefer|win)|very long|counting|complex",
            "justified by evidence, e.g. equal parameter budget comparisons":
                r"budget|measur|experiment|chapter|evidence|benchmark",
        },
        3,
        ("Think of constraints: data size, compute, latency, memory. Which does the "
         "GRU's smaller size help with?",
         "A justified answer also says when you would not pick the GRU, "
         "and cites chapters 9 and 15."),
        "Prefer the GRU when data are limited, the training budget is short, or the model must "
        "be small (on-device, streaming, many models), and when dependencies are moderate: "
        "at the same width it has about 25% fewer parameters, one state vector instead of two "
        "and 3/4 of the arithmetic per step (chapters 8, 9 and 15; whether it is faster must be "
        "measured on your hardware). The source expects the LSTM to do slightly better on very "
        "long, complex sequences; the course could not confirm it within its budget (chapter 9), "
        "so on such tasks try both at an equal parameter budget: the choice is empirical.",
    ),
    ReaderTask(
        5, "How a GRU processes a sequence in the introductory example",
        {
            "one time step at a time, carrying the hidden state":
                r"one (time )?step|each (time )?step|step by step|every (time )?step",
            "input shape (batch, 20 steps, 10 features)": r"20|10 features|\(100, ?20, ?10\)|batch",
            "gates computed from x_t and h_prev at each step": r"gate",
            "only the final hidden state (32 numbers) goes to the Dense sigmoid":
                r"final|last|32|dense|sigmoid",
            "the labels are random, so nothing real can be learned":
                r"random|chance|no (real )?pattern|meaningless",
        },
        3,
        ("Follow one sequence of shape (20, 10) through GRU(32) and Dense(1, sigmoid): what shape "
         "is produced at each step, and what reaches the Dense layer?",
         "Look at the example's data: X = np.random.rand(100, 20, 10), y random 0/1. What accuracy "
         "can it reach on new data? Chapter 3 measures it."),
        "For each of the 100 sequences, GRU(32) starts from h_0 = 0 and reads the 20 steps "
        "one step at a time: at each step t it computes the update gate z_t and the reset gate "
        "r_t from x_t (10 features) and h_{t-1}, forms the candidate and mixes it into h_t "
        "(32 numbers). Only the final state h_20 reaches Dense(1, sigmoid), which outputs a "
        "probability. In the source's example the labels are random, so no model can beat chance "
        "on new data (chapter 3 shows this).",
    ),
)

reader_task_1, reader_task_2, reader_task_3, reader_task_4, reader_task_5 = READER_TASKS


from grucourse.checks.gate_quiz import QUIZ, show_quiz  # noqa: E402,F401  (kept importable from here)
