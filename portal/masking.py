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


# Personal numbers typed into free text (a description, a note). The board's text checks use the same patterns.
MOBILE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![\d])")
LANDLINE = re.compile(r"(?<![\d])(?:\(?0\d{2,3}\)?[\s-]?)[2-9]\d{6,7}(?![\d])")
ID_NUMBER = re.compile(r"(?<![\dXx])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                       r"(?![\dXx])")
_ID_15 = re.compile(r"(?<![\d])[1-9]\d{14}(?![\dXx])")  # the old 15-digit ID card
_DIGIT_RUN = re.compile(r"(?:\d[\s-]?){6,}\d")  # seven digits or more: anything phone-like
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_id_number(number):
    """110101********1234: the region code and the last four, as on 12345 work orders."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_contacts(text):
    """``text`` with the phone and ID numbers typed into it masked (138****5678, 110101********1234): what staff
    without the reveal permission, and every export, see of a description."""
    if not text:
        return text or ""
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _ID_15.sub(lambda m: mask_id_number(m.group()), text)
    text = MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return LANDLINE.sub(lambda m: mask_phone(m.group()), text)


def redact_excerpt(text, names=(), length=60):
    """The start of a free text for strangers: every run of seven or more digits and every e-mail address blanked
    out (***), the given names (a reporter's) removed, whitespace folded, cut at ``length`` characters."""
    text = " ".join((text or "").split())
    for name in names:
        if name and len(name.strip()) >= 2:
            text = text.replace(name.strip(), "**")
    text = _EMAIL.sub("***", _DIGIT_RUN.sub("***", text))
    return text if len(text) <= length else text[:length] + "…"
