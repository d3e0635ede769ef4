"""Extra links from a task to Flat's own page for the object it touched.

Airflow 3 evaluates ``get_link`` in the worker right after the task ran (and stores the URL as an XCom for
the UI), on the same operator object that executed: the operator keeps the page's URL in ``flat_html_url``.
Flat gives such a URL for users (their profile, ``htmlUrl``). An invitation's ``htmlUrl`` is its join link,
which lets anyone join the organization: it is treated as a secret and never linked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class FlatUserLink(BaseOperatorLink):
    """The Flat profile page of the user created, updated or found by the task."""

    name = "Flat user"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        url = getattr(operator, "flat_html_url", None)
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
