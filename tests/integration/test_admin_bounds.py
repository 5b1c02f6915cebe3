"""Absurd values in the admin modals: an error on the field, nothing written, no 500; on
SQLite and PostgreSQL (the same bounds as configuration files, see engine/bounds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import ids
from bot.blocks.admin import block_id
from services.config import apply_config, load_config
from tests.integration.conftest import ADMIN
from tests.integration.driver import as_dict
from tests.integration.test_admin import WS, _click_in_modal, _open_menu, _submit


@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    """The integration workspace on SQLite, then on PostgreSQL."""
    apply_config(db_engine, Path(__file__).with_name("workspace.yml"))
    return db_engine


def _new_modal(slack, fake, kind: str) -> dict[str, Any]:
    _click_in_modal(slack, _open_menu(slack, fake), ids.ADMIN_NEW + kind, user=ADMIN)
    return as_dict(fake.calls_to("views.push")[-1].args["view"])


PERSON = {block_id("id"): "dave", block_id("name"): "Dave", block_id("slack_user"): "U0DAVE"}
EVENT = "event_types"
MEETING = {block_id("id"): "chat", block_id("name"): "Chat", block_id("duration"): "30m"}


@pytest.mark.parametrize(
    ("kind", "answers", "field", "problem"),
    [
        ("member", PERSON | {block_id("max_per_day"): str(10**30)}, "max_per_day", "10000"),
        ("member", PERSON | {block_id("name"): "Da\x00ve"}, "name", "control characters"),
        ("member", PERSON | {block_id("overrides"): "9999-12-31: off"}, "overrides", "2099"),
        (EVENT, MEETING | {block_id("duration"): "99999999999w"}, "duration", "7 days"),
        (EVENT, MEETING | {block_id("max_days_ahead"): str(10**12)}, "max_days_ahead", "730"),
        (EVENT, MEETING | {block_id("min_notice"): "9000000d"}, "min_notice", "730 days"),
    ],
)
def test_an_absurd_value_comes_back_on_its_field_and_nothing_is_written(
    slack, fake, engine, kind, answers, field, problem
):
    before = load_config(engine, WS)
    modal = _new_modal(slack, fake, kind)

    response = _submit(slack, modal, user=ADMIN, **answers)

    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert problem in answer["errors"][block_id(field)]
    assert load_config(engine, WS) == before
