"""Domain errors. Each carries a Dutch message a user or curator can act on."""

from __future__ import annotations

from dataclasses import dataclass


class AssistantError(Exception):
    """Base class; str(error) is a short Dutch sentence fit to show a user.

    `details` holds what an administrator needs (host, port, the cause) for the log and
    the CLI's -v output; it is never shown to caregivers.
    """

    exit_code = 1

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class Problem:
    """One validation problem in one corpus file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CorpusError(AssistantError):
    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"De corpus bevat {len(problems)} fout(en):\n{lines}")


class ModelLoadError(AssistantError):
    exit_code = 3


class StoreUnavailableError(AssistantError):
    exit_code = 3


class FeedbackUnavailableError(AssistantError):
    exit_code = 3


class IngestBusyError(AssistantError):
    exit_code = 4


class IndexMissingError(AssistantError):
    exit_code = 5


class InputFileError(AssistantError):
    exit_code = 2


class LLMError(AssistantError):
    """The chat model failed or took too long; the extractive answer is shown instead."""

    exit_code = 3
