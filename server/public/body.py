"""Decoding public request bodies: one clear 400 (zh-CN + English) for anything that is not the
expected JSON, before anything is counted or written."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from server.http.errors import ApiError

T = TypeVar("T")


def decode(body: bytes, kind: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(
            400, "invalid_request", f"填写的内容有误 (the request is not valid: {exc})"
        ) from exc
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(
            400, "invalid_request", "请求不是有效的 JSON (the body is not JSON)"
        ) from exc


def bad(field: str, zh: str, en: str, status: int = 400, code: str = "invalid_request") -> ApiError:
    return ApiError(status, code, f"{zh} ({en})", {"field": field})
