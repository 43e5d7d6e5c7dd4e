"""Hostile input for the fuzz tests: arbitrary unicode, NUL and other control characters, bidi marks, fullwidth
digits, invalid UTF-8, injection-looking text, numbers out of range, duplicated and missing fields."""
from urllib.parse import quote, quote_from_bytes

from hypothesis import strategies as st

NASTY = [
    "\x00", "a\x00b", "\x01\x02\x1f\x7f", "\r\n", "\t", "\x1b[31m", "\u202e", "\u200f\u200e", "\ufeff", "\u2028",
    "１２３４５６７８", "２０２６１１２２－００４２", "20261122-0042", "00000000", "12345678", "🀄🀄🀄", "é",
    "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "%s%n", "../../etc/passwd", "=1+1", "@SUM(A1)",
    "9" * 40, "-1", "0", "1.5", "1e308", "NaN", "inf", "2147483647", "2147483648", "-2147483649",
    "true", "null", "[]", "{}", " ", "", "\u3000", "javascript:alert(1)", "//evil.example", "/\\evil.example",
    "13912345678", "https://evil.example/", "yes", "no", "on",
]

# A text value: anything unicode can say (no lone surrogates: they cannot travel as UTF-8), often nasty.
text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(NASTY),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), min_size=1, max_size=4).map("".join),
)

# A form value: one text, the field sent several times, or the field left out (None).
form_value = st.one_of(text, text, st.lists(text, min_size=2, max_size=3), st.none())

# Raw query-string bytes, percent-encoded: invalid UTF-8 (encoded surrogates, stray continuation bytes) included.
raw_query_value = st.one_of(
    st.binary(max_size=12).map(quote_from_bytes),
    st.sampled_from(["%ff%fe", "%ed%a0%80", "%c0%af", "%e2%80%ae", "%00", "%25", "%", "%zz"]),
)

# An id as a user might tamper with it.
id_text = st.one_of(st.integers(min_value=-2**63, max_value=2**63).map(str), text)

HUGE = "长" * (1024 * 1024 // 3) + "x"  # about 1 MB of UTF-8


def form(fields, **fixed):
    """A form dict from ``fields`` (name -> strategy of form values), dropping the left-out fields."""
    return st.fixed_dictionaries({name: strategy for name, strategy in fields.items()}).map(
        lambda drawn: {**{k: v for k, v in drawn.items() if v is not None}, **fixed})


def segment(value):
    """``value`` as one path segment of an address, percent-encoded: the app sees the text itself."""
    return quote(value.replace("/", ""), safe="") or "x"  # a server decodes %2F into "/": leave it out
