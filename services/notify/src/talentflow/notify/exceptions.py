"""Notify's domain errors (rendered as problem+json by talentflow.common.errors)."""

from __future__ import annotations

from talentflow.common.errors import Conflict, NotFound


class TaskNotFound(NotFound):
    code = "task-not-found"
    title = "Task not found"


class TaskAlreadyCompleted(Conflict):
    code = "task-already-completed"
    title = "The task is already completed"


class TaskSuperseded(Conflict):
    code = "task-superseded"
    title = "The task was superseded by a newer decision"
