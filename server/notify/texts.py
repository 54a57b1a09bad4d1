"""Notification texts in the recipient's language, rendered when they are delivered.

A notice is stored as a template key and its parameters (`templates.json`, shared with the PWA,
which renders the inbox by the viewer's language from the same catalogue); a push or an SMS is
rendered for its recipient when it leaves, in the language the user chose in the app. Parameters
are never free text: enum codes (`level`, `status`, ...) are translated, parameters named
`*_time` / `*_date` are RFC 3339 instants shown in Beijing time in the language's own format.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CATALOGUE_PATH = Path(__file__).with_name("templates.json")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@cache
def catalogue() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    return data


def _index(language: str) -> int:
    return 1 if language == "en" else 0


def _moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(SHANGHAI)
    except ValueError:
        return None


def format_param(name: str, value: object, language: str) -> str:
    text = "" if value is None else str(value)
    enum = catalogue()["enums"].get(name)
    if enum is not None and text in enum:
        return str(enum[text][_index(language)])
    if name.endswith("_time") or name.endswith("_date"):
        moment = _moment(text)
        if moment is None:
            return text
        if language == "en":
            day = f"{_MONTHS[moment.month - 1]} {moment.day}"
        else:
            day = f"{moment.month}月{moment.day}日"
        return day if name.endswith("_date") else f"{day} {moment:%H:%M}"
    return text


def fill(text: str, params: dict[str, Any], language: str) -> str:
    for name, value in params.items():
        text = text.replace("{" + name + "}", format_param(name, value, language))
    return text


def known(template: str) -> bool:
    return template in catalogue()["notices"]


def render_notice(template: str, params: dict[str, Any], language: str) -> tuple[str, str]:
    """(title, body) of a notice in `language`; an unknown template raises KeyError."""
    title, body = catalogue()["notices"][template][_index(language)]
    return fill(title, params, language), fill(body, params, language)


def render_sms(template: str, params: dict[str, Any], language: str) -> str:
    return fill(catalogue()["sms"][template][_index(language)], params, language)


def sms_template_name(template: str, language: str) -> str:
    """The name the SMS platform knows the template by: one registered template per language
    (government SMS platforms send only pre-registered texts)."""
    return f"doorstep.{template}.{'en' if language == 'en' else 'zh-CN'}"


def language_or_default(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE
