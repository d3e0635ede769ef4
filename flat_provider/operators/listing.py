"""ListingOperator: the shared shape of every list operator (output file, small XCom summary)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.operators.base import FlatBaseOperator
from flat_provider.operators.export import describe_output, output_format, write_records

if TYPE_CHECKING:
    from airflow.sdk import Context


class FlatListingOperator(FlatBaseOperator):
    """Walk a listing lazily; write it to ``output`` or, when small, return its ids.

    :param output_path: where the records go: a local path (written atomically, mode 0600), a URL such as
        ``s3://bucket/users.csv`` or an ``ObjectStoragePath``. Templated. Without it, XCom gets the ids of at
        most ``max_xcom_ids`` records and a larger listing fails, asking for an output.
    :param output_format: ``jsonl`` or ``csv``; by default from the output's suffix, else ``jsonl``.
    :param fields: the CSV columns (camelCase, as in Flat's JSON); JSON Lines keeps every field.
    :param output_conn_id: the Airflow connection of the object storage (``aws_default``...).
    :param max_xcom_ids: most ids returned in XCom when there is no output.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "output_path",
        "output_format",
        "fields",
        "output_conn_id",
        "max_xcom_ids",
    )
    default_fields: Sequence[str] = ("id",)
    noun = "records"

    def __init__(
        self,
        *,
        output_path: Any = None,
        output_format: str | None = None,
        fields: Sequence[str] | None = None,
        output_conn_id: str | None = None,
        max_xcom_ids: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_path = output_path
        self.output_format = output_format
        self.fields = fields
        self.output_conn_id = output_conn_id
        self.max_xcom_ids = max_xcom_ids

    def records(self) -> Iterable[Mapping[str, Any]]:
        """The listing as JSON-able camelCase records (lazy)."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        records = self.records()
        if self.output_path in (None, ""):
            ids: list[Any] = []
            for record in records:
                if len(ids) >= int(self.max_xcom_ids):
                    raise ValueError(
                        f"{type(self).__name__}: more than {self.max_xcom_ids} {self.noun}; XCom only takes a "
                        "small summary. Set output_path= to a file path or an object-storage URL."
                    )
                ids.append(record.get("id"))
            self.log.info("Listed %d %s.", len(ids), self.noun)
            return {"count": len(ids), "ids": ids}
        fmt = output_format(self.output_path, self.output_format)
        fields = list(self.fields or self.default_fields)
        count = write_records(records, self.output_path, fmt=fmt, fields=fields, conn_id=self.output_conn_id)
        where = describe_output(self.output_path)
        self.log.info("Wrote %d %s to %s (%s).", count, self.noun, where, fmt)
        return {"count": count, "path": where, "format": fmt}
