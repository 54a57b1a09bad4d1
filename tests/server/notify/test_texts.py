"""Notice texts: one catalogue for the server (push, SMS) and the app (inbox), both languages."""

from __future__ import annotations

import json
from pathlib import Path

from server.notify.texts import CATALOGUE_PATH, render_notice, render_sms

PWA_COPY = Path(__file__).resolve().parents[3] / "pwa/src/notices/templates.json"


def test_the_app_renders_from_the_same_catalogue_as_the_server() -> None:
    """`cp server/notify/templates.json pwa/src/notices/templates.json` after editing it."""
    assert json.loads(PWA_COPY.read_text("utf-8")) == json.loads(CATALOGUE_PATH.read_text("utf-8"))


def test_every_notice_and_sms_has_both_languages_and_fills_its_parameters() -> None:
    catalogue = json.loads(CATALOGUE_PATH.read_text("utf-8"))
    params = {
        "level": "red",
        "status": "reopened",
        "late_for": "arrival",
        "target": "street",
        "arrive_time": "2026-11-25T10:00:00Z",
        "resolve_time": "2026-11-26T10:00:00Z",
        "starts_time": "2026-11-25T10:00:00Z",
        "starts_date": "2026-11-25T10:00:00Z",
        "code": "K7Q2MXAB",
    }
    for key in catalogue["notices"]:
        for language in ("zh", "en"):
            title, body = render_notice(key, params, language)
            assert title and body and "{" not in title + body, (key, language)
    for key in catalogue["sms"]:
        zh, en = render_sms(key, params, "zh"), render_sms(key, params, "en")
        assert "K7Q2MXAB" in zh and "K7Q2MXAB" in en and "{" not in zh + en
        assert len(zh) <= 70  # one SMS segment


def test_times_read_as_people_in_the_district_read_them() -> None:
    params = {"arrive_time": "2026-11-25T10:00:00Z", "resolve_time": "2026-11-26T02:30:00Z"}
    assert render_notice("order_issued", params, "zh")[1] == (
        "到场时限 11月25日 18:00，化解时限 11月26日 10:30"
    )
    assert render_notice("order_issued", params, "en")[1] == (
        "Arrive by Nov 25 18:00, resolve by Nov 26 10:30"
    )
    assert render_notice("order_status", {"status": "verified"}, "en")[0] == "Order verified"
