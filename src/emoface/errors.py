"""One exception root; the CLI prints ``str(err)`` as one line and exits 2."""

from __future__ import annotations


class EmofaceError(Exception):
    """Root of every error emoface raises on purpose.

    Messages name what was wrong, the offending value or file, and the fix.
    """

    exit_code = 2


class InputError(EmofaceError):
    """An input file is missing, unreadable, corrupt, or out of bounds."""


class FaceError(InputError):
    """The portrait has no usable face, or the requested face does not exist."""


class OptionError(EmofaceError):
    """An option value is invalid or unknown."""


class ModelError(EmofaceError):
    """A bundled model could not be found or loaded."""


class OutputError(EmofaceError):
    """The output path cannot be written."""
