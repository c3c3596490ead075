"""The shared command runner: bad input is a sentence and exit 2; Ctrl-C in a resumable command says how to go on."""

from zoo.utils.arguments import run_command, run_resumable


def test_a_value_error_is_one_sentence_and_exit_2(capsys):
    def work():
        raise ValueError("--size 0: must be at least 8")
    assert run_command("python -m x", work) == 2
    assert capsys.readouterr().err.strip() == "python -m x: error: --size 0: must be at least 8"


def test_ctrl_c_in_a_resumable_command_says_run_it_again_and_exits_130(capsys):
    def work():
        raise KeyboardInterrupt
    assert run_resumable("python -m x", work) == 130
    assert "run the same command again to continue" in capsys.readouterr().err
    assert run_resumable("python -m x", lambda: None) == 0
