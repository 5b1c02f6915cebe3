"""Who asks, in which workspace, and the use cases they may call, bound once per request.

Bolt's middleware (``bot.app``) builds one ``Caller`` for every Slack request and hands it to
the listeners as ``caller``: the database, the clock, the acting Slack user, the workspace and
the request's Web API client travel together, so a listener says ``caller.cancel(booking_id)``
where it would otherwise repeat ``cancel(services.engine, workspace_id, booking_id,
actor=actor, now=services.clock())``. Each method is one use case of ``services``; it reads
the clock when it runs (work deferred after the ack sees the time it runs at), and it adds no
transaction of its own.

The requester's time zone (``zone``) is looked up on first use only: their Slack profile's
zone (``users.info``, through the ``Profiles`` cache), else the workspace's.

A ``Caller`` lives as long as its request and its deferred work, one thread at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.profiles import Profile, Profiles
from engine.model import Page, WorkspaceConfig
from engine.records import Booking, CalendarConnection, TimeOff
from services import (
    admin,
    booking,
    booking_changes,
    booking_reads,
    booking_reassign,
    booking_screens,
    calendar_sync,
    calendars,
    config,
    links,
    slots,
    timeoff,
)
from services.admin import Entity, HomeOverview
from services.booking_reads import Upcoming
from services.booking_reassign import Candidate
from services.booking_screens import BookingState, Screen
from services.calendars import CalendarHome
from services.context import Services, SlackUser
from services.links import CreatedLink, LinkView
from services.sections import Section
from services.slots import LinkPlan


class Caller:
    """One Slack request's user and workspace, with the use cases bound to them."""

    __slots__ = ("_zone", "actor", "client", "engine", "profiles", "services", "workspace_id")

    def __init__(
        self,
        services: Services,
        profiles: Profiles,
        client: WebClient,
        actor: SlackUser,
        workspace_id: str,
    ) -> None:
        self.services = services
        self.engine = services.engine
        self.profiles = profiles
        self.client = client
        self.actor = actor
        self.workspace_id = workspace_id
        self._zone: str | None = None

    @property
    def user(self) -> str:
        """The Slack user who acts."""
        return self.actor.id

    def now(self) -> datetime:
        """Read the clock (``Services.clock``)."""
        return self.services.clock()

    @property
    def zone(self) -> str:
        """The requester's Slack time zone, else the workspace's; looked up on first use."""
        if self._zone is None:
            profile = self.profile
            if profile is not None and profile.timezone:
                self._zone = profile.timezone
            else:
                self._zone = self.config().workspace.timezone
        return self._zone

    @property
    def profile(self) -> Profile | None:
        """The requester's Slack profile (cached in ``Profiles``); None if Slack knows none."""
        return self.profile_of(self.user)

    def profile_of(self, user_id: str) -> Profile | None:
        """A Slack user's profile in this workspace; None if Slack knows no such user."""
        return self.profiles.get(self.client, self.workspace_id, user_id)

    def in_workspace(self, workspace_id: str) -> Caller:
        """The same requester asking about another workspace (a link's, say)."""
        if workspace_id == self.workspace_id:
            return self
        return Caller(self.services, self.profiles, self.client, self.actor, workspace_id)

    # --- the workspace ---------------------------------------------------------------------

    def config(self) -> WorkspaceConfig:
        """The workspace's configuration (``services.config.load_config``)."""
        return config.load_config(self.engine, self.workspace_id)

    def check_admin(self) -> None:
        """Refuse anyone but an admin (``services.admin.check_admin``)."""
        admin.check_admin(self.engine, self.workspace_id, actor=self.actor)

    def load_setup(self) -> WorkspaceConfig:
        """The configuration, for an admin (``services.admin.load_setup``)."""
        return admin.load_setup(self.engine, self.workspace_id, actor=self.actor)

    def save_entity(
        self, section: Section, data: Mapping[str, Any], *, replaces: str | None
    ) -> Entity:
        """Save one entity of the setup (``services.admin.save_entity``)."""
        return admin.save_entity(
            self.engine,
            self.workspace_id,
            section,
            data,
            replaces=replaces,
            actor=self.actor,
        )

    def home_overview(self) -> HomeOverview:
        """What the App Home shows (``services.admin.home_overview``)."""
        return admin.home_overview(self.engine, self.workspace_id, actor=self.actor, now=self.now())

    # --- bookings --------------------------------------------------------------------------

    def next_screen(
        self, state: BookingState, notice: str | None = None, *, named: str | None = None
    ) -> Screen:
        """The booking modal's screen after ``state`` (``services.booking_screens``)."""
        return booking_screens.next_screen(
            self.engine,
            self.workspace_id,
            state,
            actor=self.actor,
            now=self.now(),
            notice=notice,
            named=named,
        )

    def book(self, request: booking.BookingRequest) -> Booking:
        """Book (``services.booking.book``)."""
        return booking.book(self.engine, request, actor=self.actor, now=self.now())

    def cancel(self, booking_id: str) -> Booking:
        """Cancel a booking (``services.booking_changes.cancel``)."""
        return booking_changes.cancel(
            self.engine, self.workspace_id, booking_id, actor=self.actor, now=self.now()
        )

    def mark_no_show(self, booking_id: str) -> Booking:
        """Mark a no-show (``services.booking_changes.mark_no_show``)."""
        return booking_changes.mark_no_show(
            self.engine, self.workspace_id, booking_id, actor=self.actor, now=self.now()
        )

    def rescheduling(self, booking_id: str) -> booking_changes.Move:
        """A booking the requester may move now (``services.booking_changes.rescheduling``)."""
        return booking_changes.rescheduling(
            self.engine, self.workspace_id, booking_id, actor=self.actor, now=self.now()
        )

    def reschedule(self, booking_id: str, *, start: datetime, tz: str | None) -> Booking:
        """Move a booking (``services.booking_changes.reschedule``)."""
        return booking_changes.reschedule(
            self.engine,
            self.workspace_id,
            booking_id,
            start=start,
            tz=tz,
            actor=self.actor,
            now=self.now(),
        )

    def reassign(
        self,
        booking_id: str,
        *,
        to_page: str,
        seat_page: str | None,
        reason: str | None,
        force: bool,
        tell_customer: bool,
    ) -> Booking:
        """Move a seat (``services.booking_reassign.reassign``)."""
        return booking_reassign.reassign(
            self.engine,
            self.workspace_id,
            booking_id,
            to_page=to_page,
            seat_page=seat_page,
            reason=reason,
            force=force,
            tell_customer=tell_customer,
            actor=self.actor,
            now=self.now(),
        )

    def reassign_candidates(self, booking_id: str, *, seat_page: str | None) -> list[Candidate]:
        """Where a seat could go (``services.booking_reassign.reassign_candidates``)."""
        return booking_reassign.reassign_candidates(
            self.engine,
            self.workspace_id,
            booking_id,
            seat_page=seat_page,
            actor=self.actor,
            now=self.now(),
        )

    def get_booking(self, booking_id: str) -> Booking:
        """A booking by id (``services.booking_reads.get_booking``)."""
        return booking_reads.get_booking(self.engine, self.workspace_id, booking_id)

    def my_upcoming(self) -> Upcoming:
        """The requester's bookings to come (``services.booking_reads.my_upcoming``)."""
        return booking_reads.my_upcoming(
            self.engine, self.workspace_id, actor=self.actor, now=self.now()
        )

    # --- one-time links --------------------------------------------------------------------

    def plan_link(self, asked: str | None) -> LinkPlan:
        """Which master page a new link opens, whom it names (``services.slots.plan_link``)."""
        return slots.plan_link(
            self.engine, self.workspace_id, asked, actor=self.actor, now=self.now()
        )

    def create_link(
        self, master_page: str, *, name: str | None, email: str | None, member: str | None
    ) -> CreatedLink:
        """Create a guest's link (``services.links.create_link``)."""
        return links.create_link(
            self.engine,
            self.workspace_id,
            master_page,
            name=name,
            email=email,
            member=member,
            actor=self.actor,
            now=self.now(),
            public_url=self.services.public_url,
        )

    def resolve_link(self, token: str) -> LinkView:
        """The link a token names, if usable (``services.links.resolve_link``)."""
        return links.resolve_link(self.engine, token, now=self.now())

    # --- calendars and time off ------------------------------------------------------------

    def calendar_home(self) -> CalendarHome:
        """The calendars the App Home shows (``services.calendars.calendar_home``)."""
        return calendars.calendar_home(self.engine, self.workspace_id, actor=self.actor)

    def connect(
        self,
        pages: Sequence[str],
        *,
        kind: str,
        url: str,
        username: str | None,
        password: str | None,
        write: bool,
    ) -> CalendarConnection:
        """Connect a calendar (``services.calendars.connect``)."""
        return calendars.connect(
            self.engine,
            self.workspace_id,
            pages,
            kind=kind,
            url=url,
            username=username,
            password=password,
            write=write,
            actor=self.actor,
            now=self.now(),
        )

    def disconnect(self, connection_id: str) -> CalendarConnection:
        """Disconnect a calendar (``services.calendars.disconnect``)."""
        return calendars.disconnect(self.engine, self.workspace_id, connection_id, actor=self.actor)

    def sync_now(self, page: str, *, interval: timedelta) -> list[calendar_sync.SyncResult]:
        """Read a page's calendars now (``services.calendar_sync.sync_now``)."""
        return calendar_sync.sync_now(
            self.engine,
            self.workspace_id,
            page=page,
            actor=self.actor,
            now=self.now(),
            interval=interval,
        )

    def pages_kept_by(self) -> list[Page]:
        """The pages whose time off the requester keeps (``services.timeoff``)."""
        return timeoff.pages_kept_by(self.engine, self.workspace_id, self.actor)

    def add_time_off(
        self, page: str, first_day: date, last_day: date, *, reason: str | None
    ) -> TimeOff:
        """Add time off (``services.timeoff.add_time_off``)."""
        return timeoff.add_time_off(
            self.engine,
            self.workspace_id,
            page,
            first_day,
            last_day,
            reason=reason,
            actor=self.actor,
            now=self.now(),
        )

    def remove_time_off(self, time_off_id: str) -> TimeOff:
        """Remove time off (``services.timeoff.remove_time_off``)."""
        return timeoff.remove_time_off(
            self.engine, self.workspace_id, time_off_id, actor=self.actor
        )
