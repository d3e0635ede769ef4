"""Human approval of a roster plan in the Airflow UI (the standard provider's human-in-the-loop operator).

Airflow 3.3+ parks the task in ``awaiting_input`` (the scheduler enforces the timeout); Airflow 3.1 / 3.2
defer it to the triggerer, which must then be running. No answer before the timeout means Reject.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

DEFAULT_TIMEOUT_HOURS = 24.0


class PlanApprovalOperator(ApprovalOperator):
    """Approve or reject a roster plan; the response timeout comes from the run's ``approval_timeout_hours``
    Param (so a Trigger form can shorten it), else from ``response_timeout``; on timeout the answer is Reject.
    """

    def __init__(self, *, timeout_param: str = "approval_timeout_hours", **kwargs: Any) -> None:
        kwargs.setdefault("defaults", "Reject")
        kwargs.setdefault("response_timeout", timedelta(hours=DEFAULT_TIMEOUT_HOURS))
        # Airflow 3.3.2 fails a waiting HITL task when its answer lands before the scheduler has processed
        # the executor's report of the parking exit (about a second): the resumed task is already queued
        # again when that report arrives. People do not answer that fast, scripts might; asking again is
        # harmless: the question is re-posted and nothing downstream has run.
        kwargs.setdefault("retries", 3)
        kwargs.setdefault("retry_delay", timedelta(seconds=5))
        super().__init__(**kwargs)
        self.timeout_param = timeout_param

    def execute(self, context: Context) -> Any:
        hours = (context.get("params") or {}).get(self.timeout_param)
        if hours is not None:
            hours = float(hours)
            if hours <= 0:
                raise ValueError(f"{self.timeout_param} must be a positive number of hours, not {hours}")
            self.response_timeout = timedelta(hours=hours)
        return super().execute(context)
