"""One table of settings: defaults, then citewise.toml, then CITEWISE_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat.errors import SettingsError
from chat.settings import Settings, describe_settings, load_settings


def test_defaults_work_without_any_configuration():
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.data_dir == Path("var") and settings.corpus == Path("corpus")


def test_file_then_environment_then_flags_win_in_that_order(tmp_path):
    (tmp_path / "citewise.toml").write_text('top_k = 7\nport = 9000\nallow_origins = ["http://a.example"]\n')
    settings = load_settings(tmp_path / "citewise.toml", environ={"CITEWISE_PORT": "9100"}, top_k=None)
    assert (settings.top_k, settings.port, settings.allow_origins) == (7, 9100, ["http://a.example"])
    assert load_settings(tmp_path / "citewise.toml", environ={"CITEWISE_PORT": "9100"}, port=9200).port == 9200


def test_config_file_in_the_working_directory_is_read(tmp_path, monkeypatch):
    (tmp_path / "citewise.toml").write_text('data_dir = "elsewhere"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).data_dir == Path("elsewhere")


def test_environment_lists_are_comma_separated():
    settings = load_settings(environ={"CITEWISE_ALLOW_ORIGINS": "http://a.example, http://b.example"})
    assert settings.allow_origins == ["http://a.example", "http://b.example"]


@pytest.mark.parametrize(
    "source, message",
    [
        ({"CITEWISE_TOPK": "3"}, "Invalid setting 'CITEWISE_TOPK'"),
        ({"CITEWISE_TOP_K": "three"}, "Invalid value for top_k: 'three' is not a int"),
        ({"CITEWISE_FUSION": "magic"}, "Invalid fusion: 'magic'"),
        ({"CITEWISE_SENTENCE_VECTORS": "mixed"}, "Invalid sentence_vectors: 'mixed'"),
        # Checked by the index layer's IndexConfig and SearchOptions, reported as a setting.
        ({"CITEWISE_IVF_LISTS": "-1"}, "Invalid ivf_lists: -1. It must be 0"),
        ({"CITEWISE_IVF_PROBES": "0"}, "Invalid ivf_probes: 0. It must be at least 1"),
        ({"CITEWISE_BACKEND": "cuda"}, "Invalid backend: 'cuda'"),
        ({"CITEWISE_LEXICAL_WEIGHT": "2"}, "between 0 and 1"),
    ],
)
def test_bad_settings_stop_with_the_name_and_the_fix(source, message):
    with pytest.raises(ValueError, match=message):
        load_settings(environ=source)


def test_unknown_key_in_the_file_is_named(tmp_path):
    (tmp_path / "bad.toml").write_text("colour = 'red'\n")
    with pytest.raises(ValueError, match="Invalid setting 'colour'"):
        load_settings(tmp_path / "bad.toml", environ={})


def test_a_named_config_file_must_exist(tmp_path):
    with pytest.raises(SettingsError, match="Config file not found.*--config"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_every_setting_has_help_text():
    for name, _default, help_text in describe_settings():
        assert len(help_text) > 15, name


def test_settings_command_shows_the_values_in_force(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from chat.cli import cli

    (tmp_path / "citewise.toml").write_text("top_k = 7\n")
    monkeypatch.setenv("CITEWISE_PORT", "9100")
    result = CliRunner().invoke(cli, ["settings"])
    assert result.exit_code == 0, result.output
    assert "top_k = 7" in result.output and "port = 9100" in result.output


def test_settings_command_names_a_bad_setting(monkeypatch):
    from click.testing import CliRunner

    from chat.cli import cli

    monkeypatch.setenv("CITEWISE_COLOUR", "red")
    result = CliRunner().invoke(cli, ["settings"])
    assert result.exit_code == 1
    assert "Invalid setting 'CITEWISE_COLOUR'" in result.output


def test_docs_list_every_setting_as_the_table_says():
    from chat.cli.settings import settings_markdown
    from tests.conftest import REPO

    documented = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert documented == settings_markdown(), "run `citewise settings --markdown > docs/settings.md`"


def test_a_typo_in_the_file_names_the_line_and_the_setting_meant(tmp_path):
    (tmp_path / "citewise.toml").write_text('top_k = 5\n\n"rate_limt" = 10\n')
    with pytest.raises(ValueError, match=r"'rate_limt' in .*citewise.toml, line 3: did you mean rate_limit\?"):
        load_settings(tmp_path / "citewise.toml", environ={})
    (tmp_path / "citewise.toml").write_text('top_k = "many"\n')
    with pytest.raises(ValueError, match=r"'many' is not a int\. \(.*citewise.toml, line 1\)"):
        load_settings(tmp_path / "citewise.toml", environ={})


def test_an_origin_keeps_no_trailing_slash_but_a_path_is_refused():
    assert Settings(allow_origins=["http://intranet.example:8080/", "https://[::1]/"]).allow_origins == [
        "http://intranet.example:8080", "https://[::1]"
    ]
    with pytest.raises(ValueError, match="Invalid allowed origin: 'http://intranet.example/wiki/'"):
        Settings(allow_origins=["http://intranet.example/wiki/"])


def test_settings_check_origins_with_the_pattern_the_server_uses():
    from chat import settings, widget

    assert widget.ORIGIN is settings.ORIGIN


def test_the_backend_comes_from_the_environment_and_a_wrong_one_names_the_valid_ones():
    from chat.settings import load_settings

    assert load_settings(environ={"CITEWISE_BACKEND": "onnx-int8"}).backend == "onnx-int8"
    with pytest.raises(ValueError, match="torch, onnx, onnx-int8"):
        load_settings(environ={"CITEWISE_BACKEND": "onnx_int8"})


@pytest.mark.parametrize("command", [["ask"], ["serve"], ["mcp"], ["eval"], ["index", "rebuild"], ["index", "build"]])
def test_every_command_that_takes_a_model_takes_its_backend(command):
    from click.testing import CliRunner

    from chat.cli import cli

    assert "--backend" in CliRunner().invoke(cli, [*command, "--help"]).output
