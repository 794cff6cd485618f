"""A logging filter that masks resident ID numbers and mobile numbers in every record (个人信息保护法)."""

from __future__ import annotations

import logging
import re

_ID_NUMBER = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1********\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
