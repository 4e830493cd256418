"""One exception root; the CLI prints ``str(err)`` as one line and exits 2."""

from __future__ import annotations

from collections.abc import Mapping


class Field(str):
    """A field the user fills in, named inside an error message: an option,
    spelt as its dataclass field (``head_motion``), or one of generate's
    inputs (``image``, ``audio``, ``say``, ``text``). Each front end writes
    it in its user's words: the CLI as a flag (``--head-motion``), the REST
    API and a batch CSV as the key or column (``head_motion``), the page as
    the widget's label (``Head motion``)."""

    __slots__ = ()


class File(str):
    """A file the user gave, named inside an error message. It is written
    as its path, unless a front end knows it by another name: an upload
    saved under a temporary path is named as the user's own file
    (``noface.png``), through :meth:`EmofaceError.named`'s ``files``."""

    __slots__ = ()


def flag(name: str) -> str:
    """A field as the CLI's flag: ``head_motion`` -> ``--head-motion``."""
    return "--" + name.replace("_", "-")


class EmofaceError(Exception):
    """Root of every error emoface raises on purpose.

    Messages name what was wrong, the offending value or file, and the fix.
    A message is given in parts, text and :class:`Field` names, so that each
    front end can name the fields its own way; ``str(err)`` names them as
    the CLI's flags. The parts are the exception's args, so an error raised
    in a worker process keeps them when it is pickled back.
    """

    exit_code = 2

    @property
    def field(self) -> str | None:
        """The field the message is about (the first it names), if any."""
        return next((str(p) for p in self.args if isinstance(p, Field)), None)

    @property
    def path(self) -> str | None:
        """The file the message is about (the first it names), if any."""
        return next((str(p) for p in self.args if isinstance(p, File)), None)

    def named(self, names: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None) -> str:
        """The message with each field as ``names`` calls it and each file
        as ``files`` does (by its path as given to emoface); a field or file
        not listed keeps its own name (the REST API's JSON key, the batch
        CSV's column, the path)."""
        names, files = names or {}, files or {}

        def part(p: object) -> str:
            if isinstance(p, Field):
                return names.get(p, str(p))
            return files.get(p, str(p)) if isinstance(p, File) else str(p)

        return "".join(part(p) for p in self.args)

    def __str__(self) -> str:
        return "".join(flag(p) if isinstance(p, Field) else str(p) for p in self.args)


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


class UsageError(EmofaceError):
    """The API was used out of order: a live stream fed after its end."""
