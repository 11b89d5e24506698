"""Pages from templates (``templates/``, Jinja2 with autoescaping: every value a record holds
is escaped, whatever a task printed). Times are ``<time>`` elements: the page says them in
UTC, app.js in the viewer's zone, with UTC on hover."""

from __future__ import annotations

from datetime import datetime, timezone

from markupsafe import Markup, escape

from orchdsl.durations import measured


def _environment():
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("orchdsl.web", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters.update(when=when, took=took, utc=utc_text)
    return environment


_ENVIRONMENT = None


def page(name: str, **values) -> str:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = _environment()
    return _ENVIRONMENT.get_template(name).render(**values)


def utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def when(moment: datetime | None) -> Markup:
    """``<time>`` of a moment: UTC in the text and on hover; app.js rewrites the text in the
    viewer's zone."""
    if moment is None:
        return Markup("-")
    iso = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    text = utc_text(moment)
    return Markup(f'<time datetime="{escape(iso)}" title="{text}">{text}</time>')


def took(seconds: float | None) -> str:
    return measured(seconds)
