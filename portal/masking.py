"""Masking personal contact details for display: 138****5678, 0571****67, 张**."""
import re


def mask_phone(phone):
    """138****5678 for a mobile; a landline keeps its area code and last two digits (0571****67)."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) in (12, 13):  # +86 country code
        rest = digits[2:]
        digits = rest if rest.startswith("1") and len(rest) == 11 else "0" + rest
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if digits.startswith("0") and len(digits) >= 9:
        area_code = digits[:3] if digits[1] in "12" else digits[:4]  # 010, 02x; else 0xxx
        return f"{area_code}****{digits[-2:]}"
    if len(digits) >= 5:
        return f"****{digits[-2:]}"
    return "****"


def mask_name(name):
    """The first character only (张**), as on the 12345 work orders."""
    if not name:
        return ""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1)
