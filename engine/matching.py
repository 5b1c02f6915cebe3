"""Fill seats with distinct pages: bipartite matching by augmenting paths (Kuhn).

Seats are few (a panel has a handful) while each seat may offer many pages, so the
search runs one depth-first augmenting path per seat: O(seats · options).
"""

from __future__ import annotations

from collections.abc import Sequence


def match(options: Sequence[Sequence[str]]) -> list[str] | None:
    """Give every seat a distinct page from its options, or return None if impossible.

    Args:
        options: for each seat, the pages it may take, most preferred first.
    """
    holder: dict[str, int] = {}

    def seat_page(seat: int, tried: set[str]) -> bool:
        for page in options[seat]:
            if page in tried:
                continue
            tried.add(page)
            if page not in holder or seat_page(holder[page], tried):
                holder[page] = seat
                return True
        return False

    for seat in range(len(options)):
        if not seat_page(seat, set()):
            return None
    chosen = [""] * len(options)
    for page, seat in holder.items():
        chosen[seat] = page
    return chosen
