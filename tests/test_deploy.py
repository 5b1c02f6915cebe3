"""The systemd unit and its example settings in deploy/ run what the command line offers."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from click.testing import CliRunner

from bot.settings import SLACK_VARIABLES, load_settings
from cli.main import cli

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "roundtable.service").read_text())
    return unit


def test_the_unit_upgrades_the_database_then_serves_with_options_serve_takes() -> None:
    service = _unit()["Service"]
    upgrade = shlex.split(service["ExecStartPre"])
    serve = shlex.split(service["ExecStart"])

    assert upgrade[0] == serve[0] == "/opt/roundtable/.venv/bin/roundtable"
    assert upgrade[1:] == ["db", "upgrade"]
    assert serve[1] == "serve"
    # The options parse: `serve --help` after them prints the help instead of a usage error.
    result = CliRunner().invoke(cli, [*serve[1:], "--help"])
    assert result.exit_code == 0, result.output
    assert service["RestartPreventExitStatus"] == "2"  # bad settings exit 2: no restart loop


def test_the_example_settings_are_the_ones_serve_reads() -> None:
    lines = (DEPLOY / "roundtable.env.example").read_text().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))

    loaded = load_settings(settings)

    assert set(settings) - set(SLACK_VARIABLES) == {
        "DATABASE_URL",
        "PUBLIC_URL",
        "ROUNDTABLE_SECRET",
    }
    assert loaded.public_url == "https://roundtable.example.com"
    assert loaded.database_url.startswith("postgresql+psycopg://")
