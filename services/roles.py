"""Who may do what; every use case checks its own rule and raises ``Forbidden``.

* **Admins** are the workspace's configured ``admins`` and, unless the workspace sets
  ``slack_admins: false``, the owners and admins of the Slack workspace (Slack is asked
  through the actor's ``slack``, see ``services.context.SlackRoles``); the command line
  without ``--by`` acts as one. Admins may do everything.
* **Pool managers** (a pool's ``managers``) may reassign a booking that holds a seat from a
  pool they manage (any seat of it: the modal moves the host or the room of that booking),
  see the reports of the pools they manage, and create or revoke one-time links of master
  pages whose rules use a pool they manage.
* A **customer** may cancel or reschedule their own booking; so may the **owner** (the Slack
  user of the owner page) and a guest through the booking's manage link.
* The **owner**, a **pool manager** of one of its pools or an admin may mark a booking that
  has started a no-show.
* A member may manage their own page's time off, bookings feed and calendars (the page
  whose ``slack_user`` they are); admins any page's, rooms included.
* Anyone may look at offered slots and book.
* A **guest** (a link's holder) is never an admin and holds no role: only the booking its
  manage link names may be changed by it.

Each check matches on every kind of actor (``services.context.Actor``), so mypy refuses a
check that forgets one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import assert_never

from engine.model import MasterPage, Page, Pool, Workspace
from engine.records import Booking
from services.context import Actor, CommandLine, Guest, SlackUser
from services.errors import Forbidden


def is_admin(workspace: Workspace, actor: Actor) -> bool:
    """Tell whether ``actor`` is an admin of ``workspace`` (the command line always is).

    A listed admin is one without asking Slack; anyone else is when the workspace counts
    Slack's owners and admins and Slack says the user is one.
    """
    match actor:
        case CommandLine():
            return True
        case Guest():
            return False
        case SlackUser(id=user, slack=slack):
            if user in workspace.admins:
                return True
            return (
                workspace.slack_admins
                and slack is not None
                and slack.is_workspace_admin(workspace.id, user)
            )
        case _:
            assert_never(actor)


def _person(actor: Actor) -> str | None:
    """Return the Slack user whose own parts count (customer, owner, member, manager).

    None for the command line (an admin, no part of its own) and for a guest.
    """
    match actor:
        case SlackUser(id=user):
            return user
        case CommandLine() | Guest():
            return None
        case _:
            assert_never(actor)


def require_admin(workspace: Workspace, actor: Actor, action: str) -> None:
    """Refuse anyone but an admin.

    Raises:
        Forbidden: ``actor`` is not an admin; the message names ``action``.
    """
    if not is_admin(workspace, actor):
        raise Forbidden(f"only an admin may {action}")


def may_keep_page(workspace: Workspace, page: Page, actor: Actor) -> bool:
    """Tell whether ``actor`` may manage ``page``'s own settings: an admin, or its member."""
    user = _person(actor)
    return (user is not None and user == page.slack_user) or is_admin(workspace, actor)


def require_page_keeper(workspace: Workspace, page: Page, actor: Actor, action: str) -> None:
    """Refuse anyone but an admin or the member whose page it is.

    Raises:
        Forbidden: ``actor`` is neither an admin nor the page's Slack user.
    """
    if not may_keep_page(workspace, page, actor):
        raise Forbidden(f"only an admin or the page's own member may {action}")


def managed_pools(workspace: Workspace, pools: Iterable[Pool], actor: Actor) -> set[str]:
    """Return the ids of the pools ``actor`` manages (every pool for an admin)."""
    pools = list(pools)
    user = _person(actor)
    listed = {pool.id for pool in pools if user is not None and user in pool.managers}
    if len(listed) < len(pools) and is_admin(workspace, actor):
        return {pool.id for pool in pools}
    return listed


def _manages_any(workspace: Workspace, pools: Iterable[Pool], actor: Actor, of: set[str]) -> bool:
    """Tell whether ``actor`` manages one of the pools ``of`` or is an admin.

    The listed managers are looked at first: Slack is asked whether the actor is one of its
    admins only when that decides.
    """
    user = _person(actor)
    if user is not None and any(pool.id in of and user in pool.managers for pool in pools):
        return True
    return is_admin(workspace, actor)


def master_page_pools(master: MasterPage) -> set[str]:
    """Return the pools that a dynamic master page's rules draw from."""
    return {
        seat.pool
        for rule in master.rules
        for seat in (rule.primary, *rule.additional)
        if seat.pool is not None
    }


def require_pool_manager(workspace: Workspace, pool: Pool, actor: Actor, action: str) -> None:
    """Refuse anyone but an admin or a manager of ``pool``.

    Raises:
        Forbidden: ``actor`` neither administers the workspace nor manages the pool.
    """
    if not managed_pools(workspace, [pool], actor):
        raise Forbidden(f"only an admin or a manager of pool '{pool.id}' may {action}")


def require_master_page_manager(
    workspace: Workspace, master: MasterPage, pools: Iterable[Pool], actor: Actor, action: str
) -> None:
    """Refuse anyone but an admin or a manager of a pool the master page uses.

    Raises:
        Forbidden: ``actor`` manages none of the master page's pools and is not an admin.
    """
    if not _manages_any(workspace, pools, actor, master_page_pools(master)):
        raise Forbidden(f"only an admin or a manager of its pools may {action}")


def require_reassigner(
    workspace: Workspace, booking: Booking, pools: Iterable[Pool], actor: Actor
) -> None:
    """Refuse anyone but an admin or a manager of a pool one of the booking's seats came from.

    Raises:
        Forbidden: the actor may not reassign this booking.
    """
    seat_pools = {p.pool for p in booking.participants if p.pool is not None}
    if not _manages_any(workspace, pools, actor, seat_pools):
        raise Forbidden("only an admin or a manager of the booking's pool may reassign it")


def may_change(
    workspace: Workspace, booking: Booking, pages: Mapping[str, Page], actor: Actor
) -> bool:
    """Tell whether ``actor`` may cancel or reschedule ``booking``.

    Admins may; so may the booking's customer, the owner page's Slack user and the guest
    holding the booking's manage link.
    """
    match actor:
        case Guest(booking=held):
            return held == booking.id
        case CommandLine():
            return True
        case SlackUser(id=user):
            owner = pages.get(booking.owner)
            if user == booking.customer_slack_user or (
                owner is not None and user == owner.slack_user
            ):
                return True  # decided by the booking, without asking Slack
            return is_admin(workspace, actor)
        case _:
            assert_never(actor)


def require_canceller(
    workspace: Workspace,
    booking: Booking,
    pages: Mapping[str, Page],
    actor: Actor,
    action: str = "cancel",
) -> None:
    """Refuse anyone but an admin, the booking's customer or its owner's Slack user.

    Raises:
        Forbidden: the actor may not ``action`` this booking.
    """
    if not may_change(workspace, booking, pages, actor):
        raise Forbidden(f"only the customer, the owner or an admin may {action} this booking")


def may_mark_no_show(
    workspace: Workspace,
    booking: Booking,
    pages: Mapping[str, Page],
    pools: Iterable[Pool],
    actor: Actor,
) -> bool:
    """Tell whether ``actor`` may mark ``booking`` a no-show: its owner, a manager of one
    of its pools, or an admin."""
    owner = pages.get(booking.owner)
    user = _person(actor)
    if user is not None and owner is not None and owner.slack_user == user:
        return True
    seat_pools = {p.pool for p in booking.participants if p.pool is not None}
    return _manages_any(workspace, pools, actor, seat_pools)
