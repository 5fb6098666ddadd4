"""Specific errors raised by library code; the CLI and the crawl command turn them into one line."""


class ArchiverError(Exception):
    """Base class for errors a user can act on; ``str(error)`` is the one line to show."""


class ArgumentError(ArchiverError, ValueError):
    """A spider argument or setting has a value that cannot be used (the message names it)."""


class ArchivePathError(ArchiverError):
    """The archive file cannot be created or opened at the given path."""


class NotAnArchiveError(ArchivePathError):
    """The file exists but is not a recap archive (not SQLite, or without the archive's tables)."""


class SitesFileError(ArchiverError):
    """The sites file cannot be read or has a bad entry; the message names the file, the entry and the key."""
