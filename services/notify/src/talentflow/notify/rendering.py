"""Render a message from the package's Jinja2 templates: subject, plain text and HTML.

Templates live in `templates/<locale>/<name>.{subject,txt,html}.j2`; HTML is autoescaped,
and an undefined variable is an error (StrictUndefined) rather than an empty string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from talentflow.notify.advice import EN, LOCALES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAMES = ("advance", "reject", "review")


@dataclass(frozen=True)
class RenderedMessage:
    template: str
    locale: str
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment of the package (templates are compiled once)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render(template: str, locale: str, context: Mapping[str, Any]) -> RenderedMessage:
    """Render `template` in `locale` (en when the locale has no templates)."""
    if template not in TEMPLATE_NAMES:
        raise ValueError(f"unknown template {template!r}")
    locale = locale if locale in LOCALES else EN
    env = environment()

    def part(kind: str) -> str:
        return env.get_template(f"{locale}/{template}.{kind}.j2").render(context)

    # A subject is one header line whatever the job title holds.
    subject = " ".join(part("subject").split())
    return RenderedMessage(
        template=template, locale=locale, subject=subject, text=part("txt"), html=part("html")
    )
