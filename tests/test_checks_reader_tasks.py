"""Reader tasks are graded honestly: part A (a choice, numbers, a shape) by the check, part B (free text)
by the learner. No free text is ever called correct; gibberish and wrong statements about the gates are
rejected; the quiz's options do not give the answer away by their length."""

import re

from grucourse import checks
from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.core import SELF_ASSESS
from grucourse.checks.gate_quiz import QUIZ
from grucourse.checks.reader_tasks import misconceptions

import pytest

TASKS = checks.READER_TASKS

# The two answers a learner tried on the old keyword checker, which called both "Correct".
KEYWORD_GIBBERISH = ("vanishing exploding gradient gate gating additive identity carry lag long-term distant "
                     "measured experiment figure chapter update gate z reset gate r candidate h_tilde 1 - z "
                     "convention overwrite cell state three gates param 3u 4u fast comparable ") * 2
WRONG_GATES = ("The update gate and the reset gate are the two gates of the GRU, and both are computed from x_t "
               "and h_prev with a sigmoid. The reset gate erases the state completely when it closes, so the "
               "memory is gone. The update gate decides whether the candidate h_tilde is used: z = 1 overwrites "
               "nothing and keeps the old state, which is how the GRU keeps long-term information.")


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_free_text_is_never_called_correct(task):
    for text in (task.model_answer, KEYWORD_GIBBERISH, WRONG_GATES, task.model_answer + " " + KEYWORD_GIBBERISH):
        result = task.check(text)
        assert result.status != CORRECT and not result, (task.name, result)
        assert not result.text().startswith("Correct")


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_the_model_answer_is_shown_for_self_assessment(task):
    result = task.check(task.model_answer)
    assert result.status == SELF_ASSESS
    assert "cannot tell whether your reasoning is right" in result.message
    assert task.model_answer in result.message and "Rubric" in result.message
    assert all(point in result.message for point in task.key_points)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_keyword_gibberish_is_rejected(task):
    result = task.check(KEYWORD_GIBBERISH)
    assert result.status == INCORRECT and "does not read as sentences" in result.message


def test_wrong_statements_about_the_gates_are_rejected():
    result = checks.reader_task_2.check(WRONG_GATES)
    assert result.status == INCORRECT
    assert "reset gate cannot erase the state" in result.message
    assert "z = 1 takes the candidate" in result.message


@pytest.mark.parametrize("text", [
    "Closing the reset gate does not erase the state.",
    "In Keras's convention z = 1 keeps the old state.",
    "Only the update gate can overwrite the state; the reset gate cannot erase it.",
    "With z = 0 the state is kept, and z = 1 takes the candidate.",
])
def test_correct_statements_are_not_flagged(text):
    assert misconceptions(text) == []


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_short_empty_and_wrong_type(task):
    assert task.check("GRUs have gates.").status == INCORRECT
    assert task.check("").status == NOT_ATTEMPTED
    assert task.check(None).status == NOT_ATTEMPTED
    assert "text string" in task.check(42).message


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_part_a_grades_the_right_answer_and_explains_wrong_ones(task):
    part = task.part_a
    ns = {}
    exec(part.solution_code, ns)  # noqa: S102 - the course's own reference answer
    answer = ns[f"answer_{task.number}a"]
    assert part.check(answer).status == CORRECT
    assert part.check(None).status == NOT_ATTEMPTED
    wrong = list(part.wrong)
    assert len(wrong) >= 2
    for w in wrong:
        result = part.check(w)
        assert result.status == INCORRECT and part.wrong[w] in result.message
    assert part.check(3.5).status == INVALID


def test_part_a_messages():
    assert '"b"' in checks.reader_task_2.part_a.check("B").message  # upper case is fine, and it is wrong
    assert "not one of the options" in checks.reader_task_1.part_a.check("e").message
    assert "tuple of 2 whole numbers" in checks.reader_task_3.part_a.check(4224).message
    assert "return_sequences" in checks.reader_task_5.part_a.check((100, 20, 32)).message


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_quiz_options_have_similar_lengths_and_one_right_answer():
    for q in QUIZ:
        lengths = [len(_plain(a["answer"])) for a in q["answers"]]
        right = next(len(_plain(a["answer"])) for a in q["answers"] if a["correct"])
        assert sum(a["correct"] for a in q["answers"]) == 1
        assert right <= 1.25 * min(lengths), (q["question"][:40], lengths)  # never by far the longest
        assert max(lengths) <= 1.5 * min(lengths), (q["question"][:40], lengths)


def test_quiz_math_is_markup_not_tex():
    text = " ".join(q["question"] + "".join(a["answer"] + a["feedback"] for a in q["answers"]) for q in QUIZ)
    assert "\\(" not in text and "$" not in text and "\\tilde" not in text
    assert "<sub>" in text and "<i>h</i>" in text


def test_quiz_widget_validates_its_questions():
    from grucourse.widgets.quiz import Quiz

    assert Quiz(QUIZ).questions == QUIZ
    with pytest.raises(ValueError, match="exactly one correct"):
        Quiz([{"question": "q", "answers": [{"answer": "a", "correct": False, "feedback": "f"}]}])


# --- issue 25: nonsense written as sentences is rejected; the right option moves ---------------

NONSENSE = ("The purple elephant sang softly to the moon while the river laughed. Bananas are the favourite "
            "music of clouds, and a teapot dreams in green. When the window opens, the carpet dances with a "
            "polite onion. Nobody knows why the mountain wears a hat on Tuesdays. It is said that the soup "
            "writes poems for the cheese, which is very proud of its holes. A bicycle argued with the rain "
            "about the colour of Thursday. The lamp, tired of shining, went out to buy apples from a sleepy "
            "owl. In the end the spoon forgave the fork, and everyone had tea in the garden. The moon "
            "sang back, and the river was quiet in the evening.")


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.name)
def test_sentences_that_touch_no_rubric_idea_are_rejected(task):
    assert 100 <= len(NONSENSE.split()) <= 120
    assert not any(task.covered(NONSENSE).values()), "the nonsense must hit none of the rubric ideas"
    result = task.check(NONSENSE)
    assert result.status == INCORRECT, result.message
    assert f"none of the {len(task.key_points)} rubric ideas" in result.message
    assert task.check(task.model_answer).status == SELF_ASSESS


def test_the_right_option_is_not_always_in_the_same_place():
    positions = [next(i for i, a in enumerate(q["answers"]) if a["correct"]) for q in QUIZ]
    assert len(set(positions)) >= 3, positions  # first, second and last all occur
    assert max(positions.count(p) for p in set(positions)) <= 2, positions


def test_the_quiz_widget_shows_the_reordered_questions():
    from grucourse.checks import show_quiz

    widget = show_quiz()
    assert widget.questions == QUIZ
    shown = [[a["answer"] for a in q["answers"]] for q in widget.questions]
    assert shown[0][1].startswith("It is kept almost unchanged")  # the right answer, second
