"""``import skal`` is cheap, and the package's face is whole."""

import subprocess
import sys

import skal


def test_import_skal_leaves_scikit_learn_unimported():
    code = "import sys, skal; print('sklearn' in sys.modules, skal.__version__)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", skal.__version__]


def test_the_learner_is_there_on_first_use():
    from skal import ActiveLearner
    from skal._learner import ActiveLearner as defined

    assert skal.ActiveLearner is ActiveLearner is defined
    from skal import CrowdLearner
    from skal._crowd import CrowdLearner as crowd_defined

    assert skal.CrowdLearner is CrowdLearner is crowd_defined
    assert set(skal.__all__) <= set(dir(skal))
    try:
        skal.NoSuchThing  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:  # pragma: no cover
        raise AssertionError("skal.NoSuchThing should not exist")


def test_the_command_line_answers_without_loading_scikit_learn():
    """``skal --help`` (and an option error) builds the parser only: no model
    code, no scikit-learn."""
    code = (
        "import sys\n"
        "from skal.cli import build_parser\n"
        "build_parser()\n"
        "print('sklearn' in sys.modules, 'skal._learner' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "False"]
