"""A missing Gradio, or a local 'gradio' folder that shadows it, is named instead of an AttributeError."""

from __future__ import annotations

import sys
import types

import pytest

from demo import app


def test_shadowed_gradio_is_named_with_its_folder(tmp_path, monkeypatch, capsys):
    shadow = types.ModuleType("gradio")
    shadow.__path__ = [str(tmp_path / "gradio")]  # what a local folder named gradio imports as
    monkeypatch.setitem(sys.modules, "gradio", shadow)
    with pytest.raises(ImportError, match=r"folder or file named 'gradio' shadows it"):
        app.build_demo()
    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "gradio") in err and "Traceback" not in err


def test_missing_gradio_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio raises ImportError
    with pytest.raises(ImportError, match=r'pip install "facezoo\[demo\]"'):
        app.build_demo()
    assert app.main([]) == 2
    assert 'pip install "facezoo[demo]"' in capsys.readouterr().err
