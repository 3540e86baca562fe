"""One exception family for all of gavel."""


class GavelError(Exception):
    """Root of every error gavel raises on purpose."""


class LogFormatError(GavelError):
    """An input log cannot be read at all (a bad line is reported, never raised)."""


class OutputPathError(GavelError):
    """An output path would leave the output directory."""
