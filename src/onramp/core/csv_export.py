"""``?format=csv``: every matching row, streamed, with the columns of the JSON items.

Values are written as the JSON has them (null → empty cell, booleans ``true``/``false``, lists
and objects as JSON). A text cell that a spreadsheet would run as a formula (it starts with
``= + - @``, a tab or a carriage return) gets a leading apostrophe: short names, labels and
changes are free text typed by people outside the provider."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_lines(columns: Sequence[str], items: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(columns)
    for item in items:
        yield line(cell(item[name]) for name in columns)


def csv_response(
    filename: str,
    columns: Sequence[str],
    rows: Iterable[Any],
    render: Callable[[Any], dict[str, Any]],
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(columns, (render(row) for row in rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
