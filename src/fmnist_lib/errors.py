"""Errors a user can act on, shared by every stage (data, training, runs, analysis, report, cli).

Every problem caused by input (data files, parameters, cache folders) is raised
as a subclass of `FmnistError` whose message says what is wrong and what to do.
The CLI prints such messages without a traceback; anything else is a bug.
"""


class FmnistError(Exception):
    """Base class: the message is written for the user, not the developer."""


class DataError(FmnistError):
    """The Fashion-MNIST files are missing, damaged or not what they claim."""


class ConfigError(FmnistError, ValueError):
    """A parameter has an unknown name or an impossible value."""


class TrainingDiverged(FmnistError):
    """The training loss turned non-finite: the run stopped, and nothing of it is stored as finished."""


class CacheError(FmnistError):
    """The results cache cannot be read or written."""


class SweepError(FmnistError):
    """The sweep could not start, or some of its runs failed (the others finished)."""


class ReportError(FmnistError):
    """A section failed or the site did not build."""
