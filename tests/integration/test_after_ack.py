"""A listener made by ``bot.work.after_ack``: Bolt hands it what its work asks for, after ack."""

from __future__ import annotations

from typing import Any

from slack_bolt.util.utils import get_arg_names_of_callable

from bot.work import after_ack


def open_something(body: dict[str, Any], client: object, workspace_id: str) -> None:
    """Opens something."""


def test_bolt_reads_ack_defer_and_the_work_s_own_parameters() -> None:
    listener = after_ack(open_something)

    assert get_arg_names_of_callable(listener) == ["ack", "defer", "body", "client", "workspace_id"]
    assert listener.__name__ == "open_something"
    assert listener.__doc__ == "Opens something."


def test_the_listener_acks_first_then_defers_the_work_with_its_arguments() -> None:
    happened: list[tuple[str, Any]] = []

    def ack() -> None:
        happened.append(("ack", None))

    def defer(work: Any, /, *args: Any, **kwargs: Any) -> None:
        happened.append(("defer", (work, args, kwargs)))

    after_ack(open_something)(ack=ack, defer=defer, body={"a": 1}, client="c", workspace_id="T1")

    assert happened == [
        ("ack", None),
        ("defer", (open_something, (), {"body": {"a": 1}, "client": "c", "workspace_id": "T1"})),
    ]
