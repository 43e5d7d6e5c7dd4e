"""Static files: a content hash in every URL, a year in every cache, one bundle per page, and a WeUI cut down to the
classes our pages use that still holds every one of them."""
import hashlib
import re
from pathlib import Path

import pytest

from portal.assets import BUNDLES

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def stylesheet(html):
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', html)[1]


def test_a_static_url_carries_the_first_12_hex_digits_of_the_files_sha256(client):
    html = client.get("/surveys/").get_data(as_text=True)
    expected = hashlib.sha256((STATIC / "js/report.js").read_bytes()).hexdigest()[:12]

    with client.application.test_request_context():
        from flask import url_for

        assert url_for("static", filename="js/report.js") == f"/static/js/report.{expected}.js"
    assert re.fullmatch(r"/static/bundle/resident\.[0-9a-f]{12}\.css", stylesheet(html))


def test_a_fingerprinted_file_is_cached_for_a_year_and_never_revalidated(client):
    url = stylesheet(client.get("/").get_data(as_text=True))

    response = client.get(url)

    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # 365 × 24 × 3600 s
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unhashed_or_outdated_url_still_answers_but_is_not_kept(client):
    for url in ("/static/js/report.js", "/static/js/report.000000000000.js"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.get_data() == (STATIC / "js/report.js").read_bytes()
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]


def test_a_changed_file_gets_a_new_url_without_a_restart(client, app, tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css/x.css").write_text("a{color:red}")
    app.static_folder = str(folder)
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="css/x.css")
        (folder / "css/x.css").write_text("a{color:blue}  ")  # another size: a new stamp even on a coarse clock
        after = url_for("static", filename="css/x.css")
    assert before != after
    assert client.get(after).get_data() == b"a{color:blue}  "


def test_an_unknown_or_escaping_path_is_404(client):
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/static/../portal/config.py").status_code == 404
    assert client.get("/static/%2e%2e/portal/config.py").status_code == 404


def test_a_bundle_is_its_files_joined_in_order(client):
    url = stylesheet(client.get("/board/").get_data(as_text=True))
    expected = b"\n".join((STATIC / part).read_bytes() for part in BUNDLES["bundle/board.css"])

    assert url.startswith("/static/bundle/board.")
    assert client.get(url).get_data() == expected


def test_a_conditional_request_for_a_static_file_is_answered_304(client):
    url = stylesheet(client.get("/").get_data(as_text=True))
    first = client.get(url)

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304


def _weui_classes_used():
    """Every weui-* class named in a template, a script or Python code (where `make css` looks)."""
    files = [*ROOT.glob("portal/**/*.html"), *ROOT.glob("complaints/**/*.html"), *ROOT.glob("surveys/**/*.html"),
             *ROOT.glob("oversight/**/*.html"), *STATIC.glob("js/*.js"), *ROOT.glob("portal/**/*.py"),
             *ROOT.glob("complaints/**/*.py"), *ROOT.glob("surveys/**/*.py"), *ROOT.glob("oversight/**/*.py"),
             *ROOT.glob("composition/**/*.py")]
    used = set()
    for path in files:
        used |= set(re.findall(r"weui-[A-Za-z0-9_-]*[A-Za-z0-9_]", path.read_text("utf-8")))
    return used


def test_the_purged_weui_keeps_every_class_our_pages_use():
    full = (STATIC / "vendor/weui/weui.min.css").read_text("utf-8")
    purged = (STATIC / "vendor/weui/weui.purged.css").read_text("utf-8")
    defined = set(re.findall(r"\.(weui-[A-Za-z0-9_-]+)", full))
    kept = set(re.findall(r"\.(weui-[A-Za-z0-9_-]+)", purged))

    missing = {name for name in _weui_classes_used() if name in defined and name not in kept}

    assert not missing, f"run `make css`: the purged WeUI lacks {sorted(missing)}"
    assert len(purged) < len(full) / 4  # 188 KB → about 20 KB


def test_no_template_puts_a_weui_class_together_at_run_time():
    """A class spelled in pieces ("weui-icon-{{ kind }}") would be dropped by the purge without a safelist."""
    pieces = []
    for path in [*ROOT.glob("portal/**/*.html"), *ROOT.glob("complaints/**/*.html"), *ROOT.glob("surveys/**/*.html"),
                 *ROOT.glob("oversight/**/*.html"), *STATIC.glob("js/*.js")]:
        pieces += [f"{path.name}: {m}" for m in re.findall(r"weui-[A-Za-z0-9_-]*[-_](?:\{\{|\{%|[\"'] ?\+)",
                                                           path.read_text("utf-8"))]
    assert pieces == []


@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_every_file_of_a_bundle_exists(bundle):
    for part in BUNDLES[bundle]:
        assert (STATIC / part).is_file(), part


def test_a_static_file_is_compressed_once_and_served_the_same_to_every_visitor(app, client):
    from portal.extensions import compress

    url = stylesheet(client.get("/").get_data(as_text=True))
    first = client.get(url, headers={"Accept-Encoding": "br"})
    compress.cache.data[f"br;{url}"] = b"from the cache"  # what a second visitor gets comes from the cache

    again = client.get(url, headers={"Accept-Encoding": "br"})
    page = client.get("/", headers={"Accept-Encoding": "br"})

    assert first.headers["Content-Encoding"] == "br" and first.get_data() != b"from the cache"
    assert again.get_data() == b"from the cache"
    assert not [key for key in compress.cache.data if not key.split(";", 1)[1].startswith("/static/")]
    assert page.headers["Content-Encoding"] == "br"


def test_a_file_whose_own_name_looks_fingerprinted_is_still_served(client, app, tmp_path):
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "lib.0123456789ab.js").write_text("var lib = 1;")
    app.static_folder = str(folder)

    response = client.get("/static/lib.0123456789ab.js")

    assert response.status_code == 200 and response.get_data() == b"var lib = 1;"
