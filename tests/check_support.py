"""What every checker test needs: the stub the exercise generator writes, the reference answer, and the
three verdicts every checker must give (untouched stub, the reference, an answer of the wrong type)."""

from grucourse.checks import CORRECT, INVALID, NOT_ATTEMPTED


def stub(*args, **kwargs):
    """What tools/make_exercises.py writes in place of a function body."""
    raise NotImplementedError("write your code here")


def reference(exercise, name, **names):
    """Run the exercise's own ``solution()`` code with ``names`` in scope and return the object ``name``."""
    ns = dict(names)
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


def assert_stub_reference_and_types(exercise, answer, capsys) -> None:
    """The stub is not attempted, the reference is correct (and shown), a number is a clear type error."""
    assert exercise.check(None).status == NOT_ATTEMPTED
    assert exercise.check(stub).status == NOT_ATTEMPTED
    result = exercise.check(answer)
    assert result.status == CORRECT, result.message
    assert result.text() in capsys.readouterr().out
    bad = exercise.check(3.0)
    assert bad.status == INVALID and "pass your function itself" in bad.message
