"""Every callback_id, block_id and action_id the app uses, in one place.

Families share a prefix and are matched with a regex (``re.compile(r"^slot:")``); the data
an action needs travels in its ``value``, never in the id.
"""

from __future__ import annotations

# Manager notices (bot/blocks/notifications.py) carry these buttons; value = booking id.
REASSIGN_BOOKING = "booking:reassign"
CANCEL_BOOKING = "booking:cancel"
# Manager notices once the meeting started; value = booking id.
NO_SHOW_BOOKING = "booking:no_show"
# Confirmations, reminders and reschedule notices carry it; value = booking id. It opens the
# /book-room modal on the booking's master page and event type to pick a new time.
RESCHEDULE_BOOKING = "booking:reschedule"

# Admin setup (/book-admin, App Home). Every admin view's callback_id and every admin
# action_id starts with ADMIN_FAMILY, so one regex finds (and role-checks) them all.
ADMIN_FAMILY = "admin:"
ADMIN_MENU = "admin:menu"  # callback_id of the menu modal
ADMIN_EDIT = "admin:edit"  # callback_id of every entity modal; private_metadata says which
ADMIN_NEW = "admin:new:"  # + kind; value = "section/kind" of the entity to create
ADMIN_PICK = "admin:pick:"  # + section; the selected option's value = "section/id" to edit
ADMIN_FIELD = "admin:field:"  # + field name: block_id and action_id of an entity modal input
ADMIN_OPEN_MENU = "admin:open_menu"  # App Home button opening the menu

# App Home.
HOME_BOOKING = "home:booking:"  # + n: block_id of an upcoming booking
HOME_CANCEL = "home:cancel:"  # + n; value = booking id
HOME_POOLS = "home:pools:"  # + prev/next; value = index of the first pool of the page shown
HOME_TIME_OFF = "home:timeoff:"  # + n: block_id of a stretch of time off
HOME_TIME_OFF_REMOVE = "home:timeoff_remove:"  # + n; value = time off id

# Time off (App Home button and modal, bot/blocks/timeoff.py).
TIME_OFF_OPEN = "timeoff:open"  # App Home button opening the modal
TIME_OFF_VIEW = "timeoff:submit"  # callback_id of the modal
TIME_OFF_PAGE = "timeoff:page"  # block_id/action_id of the page select
TIME_OFF_FROM = "timeoff:from"  # block_id/action_id of the first day
TIME_OFF_TO = "timeoff:to"  # block_id/action_id of the last day
TIME_OFF_REASON = "timeoff:reason"  # block_id/action_id of the reason

# Calendars on the App Home (bot/blocks/calendars.py).
CALENDAR_CONNECT = "calendar:connect:"  # + n; value = page id, "*" for an admin's any page
CALENDAR_DISCONNECT = "calendar:disconnect:"  # + n; value = connection id
CALENDAR_VIEW = "calendar:view"  # callback_id of the connect modal; private_metadata = page id
CALENDAR_FIELD = "calendar:field:"  # + page/kind/url/username/password/write: block/action id

# Reassign modal (opened by REASSIGN_BOOKING).
REASSIGN_VIEW = "reassign:submit"  # callback_id; private_metadata = booking, seat, channel, ts
REASSIGN_SEAT = "reassign:seat"  # block_id/action_id of the seat select (panels only)
REASSIGN_TARGET = "reassign:target"  # block_id/action_id of the new page select
REASSIGN_REASON = "reassign:reason"  # block_id/action_id of the reason input
REASSIGN_OPTIONS = "reassign:options"  # block_id/action_id of "tell the customer" / "force"

# Slash commands; manifest.yml lists exactly these (tests/integration/test_manifest.py).
BOOK_ROOM_COMMAND = "/book-room"
BOOK_LINK_COMMAND = "/book-link"
BOOK_ADMIN_COMMAND = "/book-admin"

# The /book-room modal (bot/blocks/booking.py); private_metadata holds the flow's state.
BOOK_SLOTS_VIEW = "book:slots"  # callback_id: choose master page, event type, page, day, time
BOOK_MEMBER_VIEW = "book:member"  # callback_id: find_member_by_time, pick a free page
BOOK_FORM_VIEW = "book:form"  # callback_id: the booking form; submitting it books
BOOK_DONE_VIEW = "book:done"  # callback_id: the confirmation
BOOK_FAMILY = "book:"  # every action of the modal starts with it
BOOK_MASTER_PAGE = "book:master_page"  # static select; option value = master page id
BOOK_EVENT_TYPE = "book:event_type"  # static select; option value = event type id
BOOK_PAGE = "book:page"  # static select (customer selection); option value = page id
BOOK_ATTENDEES = "book:attendees"  # static select; option value = how many people attend
BOOK_DATE = "book:date"  # datepicker
BOOK_DAY = "book:day:"  # + prev/next; value = the ISO date to show
BOOK_MORE = "book:more"  # value = index of the first slot to show
BOOK_SLOT = "book:slot:"  # + n; value = the slot's UTC start, ISO
BOOK_MEMBER = "book:member:"  # + n; value = page id (find_member_by_time)
BOOK_BACK = "book:back"  # from the form or member step back to the times
BOOK_FIELD = "book:field:"  # + form field id: block_id and action_id of a form input

# /book-room list: my upcoming bookings in an ephemeral message.
MY_BOOKING = "mine:booking:"  # + n: block_id of one booking
MY_CANCEL = "mine:cancel:"  # + n; value = booking id
MY_RESCHEDULE = "mine:reschedule:"  # + n; value = booking id
MY_ACTIONS = "mine:actions:"  # + n: block_id of one booking's buttons

# /book-link: the guest's DM carries a button opening the modal for the link.
LINK_OPEN = "link:open"  # value = the link's secret token
LINK_NOTICE_VIEW = "link:notice"  # callback_id of the modal telling why a link cannot be used
LINK_MEMBER_VIEW = "link:member"  # callback_id: /book-link on a flexible round robin, whom to book
LINK_MEMBER = "link:member"  # block_id and action_id of its member select; value = page id
LINK_SENT_VIEW = "link:sent"  # callback_id: the member modal after the link was sent
