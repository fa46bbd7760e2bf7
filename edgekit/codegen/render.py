"""Jinja2 rendering of edgekit's templates (StrictUndefined: a missing value is a bug)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from edgekit.resources import data_dir


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=False,
    )


def render(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(**context)
