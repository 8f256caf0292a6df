"""Free usernames for the users an import batch creates, found with one query per batch."""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth import get_user_model

# The same username rules as users linked at login (usernames.local_username), applied in bulk.
from ..usernames import for_field, is_valid
from .records import Incoming


class Plan(Protocol):
    """The part of a batch's plan that names are picked into."""

    usernames: set[str]
    issues: list[tuple[str, str]]


class Names:
    """Free usernames for the batch's new users: one query for every candidate."""

    def __init__(self, claimed: set[str], plan: Plan, items: list[Incoming]) -> None:
        self.model = get_user_model()
        self.field = self.model._meta.get_field(self.model.USERNAME_FIELD)
        self.candidates = {item.object_id: self._candidates(item) for item in items}
        every = [name for names in self.candidates.values() for name in names]
        lookup = {f"{self.model.USERNAME_FIELD}__in": every}
        taken = self.model._default_manager.filter(**lookup).values_list(
            self.model.USERNAME_FIELD, flat=True
        )
        self.taken = set(taken) | claimed if every else set(claimed)
        self.plan = plan

    def _candidates(self, item: Incoming) -> list[str]:
        fallback = for_field(self.field, f"lc_{item.object_id}")
        wanted = item.username or item.phone
        if wanted:
            value = for_field(self.field, wanted)
            if is_valid(self.field, value):
                return [value, fallback]
        return [fallback]

    def pick(self, item: Incoming) -> str | None:
        """The first free candidate (noting when the user's own name could not be had)."""
        for name in self.candidates[item.object_id]:
            if name not in self.taken and name not in self.plan.usernames:
                wanted = item.username or item.phone
                if wanted and name != for_field(self.field, wanted):
                    self.plan.issues.append(("username_taken", item.object_id))
                self.plan.usernames.add(name)
                return name
        self.plan.issues.append(("no_username", item.object_id))
        return None
