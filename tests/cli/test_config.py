"""``roundtable config apply|export|show`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.services.config_samples import ACME, small_config_text


def test_apply_prints_what_changed_and_a_second_apply_changes_nothing(
    run: Run, db_url: str
) -> None:
    first = run("--db", db_url, "config", "apply", str(ACME))
    second = run("--db", db_url, "config", "apply", str(ACME))

    assert first.exit_code == 0, first.output
    assert f"Applied {ACME} to workspace T0ACME (new):" in first.stdout
    assert "  pools: added sales, support, rooms\n" in first.stdout
    assert "  busy blocks: 3 added, 0 removed\n" in first.stdout
    assert second.exit_code == 0
    assert second.stdout == f"Applied {ACME} to workspace T0ACME: nothing changed.\n"


def test_apply_with_json_prints_the_changes(run: Run, sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "--json", "config", "apply", str(ACME))

    applied = json.loads(result.stdout)["applied"]
    assert applied["workspace"] == "T0ACME"
    assert applied["created"] is True
    assert applied["pools"] == {
        "added": ["sales", "support", "rooms"],
        "changed": [],
        "archived": [],
    }
    assert applied["busy"] == {"added": 3, "removed": 0}


def test_show_prints_pages_pools_with_methods_and_members_and_master_pages(
    run: Run, sqlite_url: str
) -> None:
    run("--db", sqlite_url, "config", "apply", str(ACME))

    result = run("--db", sqlite_url, "config", "show")

    assert result.exit_code == 0
    assert result.stdout.startswith("Workspace T0ACME (Europe/London), admins U0ACMEADMIN\n")
    lines = result.stdout.splitlines()
    assert "  thames  resource  Europe/London        Thames room (capacity 12)" in lines
    assert (
        "  support  pooled_priority, weekly  "
        "dev (highest), emma (high), farid, hugo (low, inactive)"
    ) in lines
    assert (
        "  workshop            dynamic                       workshop → grace + pool rooms" in lines
    )
    assert "  office-hours        static, find_member_by_time   consult" in lines


def test_show_with_json_prints_the_configuration_as_a_file_holds_it(
    run: Run, sqlite_url: str
) -> None:
    run("--db", sqlite_url, "config", "apply", str(ACME))

    result = run("--db", sqlite_url, "--json", "config", "show")

    config = json.loads(result.stdout)["config"]
    assert config["workspace"] == {
        "id": "T0ACME",
        "timezone": "Europe/London",
        "admins": ["U0ACMEADMIN"],
    }
    assert config["pools"][0]["members"][0] == {"page": "ava", "priority": "high"}


def test_an_export_applies_to_a_new_database_and_exports_the_same(
    run: Run, db_url: str, tmp_path: Path
) -> None:
    run("--db", db_url, "config", "apply", str(ACME))
    exported = run("--db", db_url, "config", "export").stdout
    (tmp_path / "exported.yml").write_text(exported, encoding="utf-8")
    new_db = f"sqlite:///{tmp_path / 'new.db'}"

    applied = run("--db", new_db, "config", "apply", str(tmp_path / "exported.yml"))

    assert applied.exit_code == 0, applied.output
    assert run("--db", new_db, "config", "export").stdout == exported


def test_commands_need_workspace_only_when_several_are_stored(
    run: Run, sqlite_url: str, tmp_path: Path
) -> None:
    (tmp_path / "small.yml").write_text(small_config_text(), encoding="utf-8")
    run("--db", sqlite_url, "config", "apply", str(ACME))
    run("--db", sqlite_url, "config", "apply", str(tmp_path / "small.yml"))

    ambiguous = run("--db", sqlite_url, "config", "show")
    chosen = run("--db", sqlite_url, "--workspace", "T0001", "config", "show")

    assert ambiguous.exit_code == 2
    assert ambiguous.stderr == (
        "error: workspace: the database holds several workspaces (T0001, T0ACME); "
        "choose one with --workspace\n"
    )
    assert chosen.exit_code == 0
    assert chosen.stdout.startswith("Workspace T0001 ")


def test_show_on_an_empty_database_says_to_apply_a_file_first(run: Run, sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "config", "show")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: workspace: the database holds no workspace yet; "
        "run `roundtable config apply FILE` first\n"
    )


@pytest.mark.parametrize("as_json", [False, True])
def test_apply_refuses_a_file_for_another_workspace_than_requested(
    run: Run, sqlite_url: str, as_json: bool
) -> None:
    options = ["--json"] if as_json else []
    result = run(
        "--db", sqlite_url, *options, "--workspace", "T0OTHER", "config", "apply", str(ACME)
    )

    message = f"workspace: {ACME} configures workspace T0ACME, not T0OTHER"
    assert result.exit_code == 2
    if as_json:
        assert json.loads(result.stdout) == {"error": {"code": "bad_input", "message": message}}
    else:
        assert result.stderr == f"error: {message}\n"


def test_an_invalid_file_exits_2_without_creating_the_database_file(
    run: Run, tmp_path: Path
) -> None:
    database = tmp_path / "untouched.db"
    broken = tmp_path / "broken.yml"
    broken.write_text(
        small_config_text().replace("timezone: Europe/London", "timezone: Mars/Base", 1)
    )

    result = run("--db", f"sqlite:///{database}", "config", "apply", str(broken))

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {broken}: workspace.timezone: unknown time zone 'Mars/Base'"
        " (use an IANA name like Europe/London)\n"
    )
    assert not database.exists()
