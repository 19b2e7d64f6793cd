"""Self-checks for the exercises, in the style of Kaggle's learntools: one module per exercise set.

- ``core``: :class:`Exercise` (``check``, ``hint``, ``solution``),
  :class:`CheckResult` and the verdicts.
- ``reader_tasks``: exercise set 1 (written reader tasks and the quiz).
- ``gru_by_hand``, ``gates_by_design``, ``training``: exercise sets 2, 3 and 4.
- ``seq2seq``: exercise set 7 (one greedy decoding step, masked attention weights).
- ``language_model``: exercise set 8 (perplexity, temperature, one step of stateful generation).
- ``parallel_scan``: exercise set 5 (the scan's combine operator, a GRU turned into a minGRU, its
  parameters, the scan by hand).
- ``training_recipes``: exercise set 6 (an update-gate bias for a half-life, windows for a stateful
  GRU, a clip norm from a gradient-norm trace).

Notebooks import the exercise objects from here: ``from grucourse.checks import ex_gru_step``.
"""

from grucourse.checks.core import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED, CheckResult, Exercise
from grucourse.checks.gates_by_design import Carry, HalfLife, ResetAtMarker, one_unit_gru
from grucourse.checks.gru_by_hand import (
    GRUSequence,
    GRUStep,
    ParamCount,
    ToKeras,
    UnitsForBudget,
    step_variant,
)
from grucourse.checks.language_model import GenerationStep, Perplexity, Temperature
from grucourse.checks.parallel_scan import Combine, MinGRUParamCount, ScanByHand, ToMinGRU
from grucourse.checks.reader_tasks import QUIZ, READER_TASKS, ReaderTask, show_quiz
from grucourse.checks.seq2seq import GreedyStep, MaskedAttention
from grucourse.checks.training import BeatBaseline
from grucourse.checks.training_recipes import ClipFromTrace, HalfLifeLayer, StatefulWindows

reader_task_1, reader_task_2, reader_task_3, reader_task_4, reader_task_5 = READER_TASKS

ex_gru_step = GRUStep()
ex_gru_sequence = GRUSequence()
ex_param_count = ParamCount()
ex_to_keras = ToKeras()
ex_units_for_budget = UnitsForBudget()
ex_half_life = HalfLife()
ex_carry = Carry()
ex_reset = ResetAtMarker()
ex_train = BeatBaseline()
ex_perplexity = Perplexity()
ex_temperature = Temperature()
ex_generation_step = GenerationStep()
ex_greedy_step = GreedyStep()
ex_masked_attention = MaskedAttention()
ex_half_life_layer = HalfLifeLayer()
ex_stateful_windows = StatefulWindows()
ex_clip_from_trace = ClipFromTrace()
ex_combine = Combine()
ex_to_mingru = ToMinGRU()
ex_mingru_param_count = MinGRUParamCount()
ex_scan_by_hand = ScanByHand()

EXERCISES = (*READER_TASKS, ex_gru_step, ex_gru_sequence, ex_param_count, ex_to_keras,
             ex_units_for_budget, ex_half_life, ex_carry, ex_reset, ex_train, ex_perplexity,
             ex_temperature, ex_generation_step, ex_greedy_step, ex_masked_attention,
             ex_half_life_layer, ex_stateful_windows, ex_clip_from_trace,
             ex_combine, ex_to_mingru, ex_mingru_param_count, ex_scan_by_hand)

__all__ = [
    "CORRECT", "INCORRECT", "INVALID", "NOT_ATTEMPTED", "CheckResult", "Exercise", "EXERCISES",
    "QUIZ", "READER_TASKS", "ReaderTask", "show_quiz", "one_unit_gru", "step_variant",
    "reader_task_1", "reader_task_2", "reader_task_3", "reader_task_4", "reader_task_5",
    "ex_half_life_layer", "ex_stateful_windows", "ex_clip_from_trace",
    "ex_combine", "ex_to_mingru", "ex_mingru_param_count", "ex_scan_by_hand", "ex_greedy_step",
    "ex_masked_attention",
    "ex_gru_step", "ex_gru_sequence", "ex_param_count", "ex_to_keras", "ex_units_for_budget",
    "ex_half_life", "ex_carry", "ex_reset", "ex_train", "ex_perplexity", "ex_temperature",
    "ex_generation_step",
]
