"""Errors that service functions raise and every interface (page, API, command) reports."""

from django.utils.translation import gettext_lazy as _


class StaleVersion(Exception):
    """The record changed since the caller read it: a save would overwrite someone's work."""

    def __init__(self, obj_repr: str, expected: int, current: int | None):
        self.obj_repr, self.expected, self.current = obj_repr, expected, current
        super().__init__(
            _(
                "%(obj)s was changed by someone else since you opened it (your version %(mine)s,"
                " now %(now)s). Reload it and make your change again."
            )
            % {"obj": obj_repr, "mine": expected, "now": current}
        )


class OutOfScope(Exception):
    """The acting person may not read or change this object."""


class RuleViolation(Exception):
    """A business rule refuses the change; the message names the field and the reason."""

    def __init__(self, message, field: str | None = None):
        self.field = field
        super().__init__(message)
