"""``make bench``: the bytes a phone downloads on a cold cache for the report, tracking and survey pages of the demo
city (HTML plus every same-origin stylesheet, script, font and icon, compressed as served; photos excluded).

Prints ``BENCH report_page_bytes``, ``BENCH tracking_page_bytes`` and ``BENCH survey_page_bytes`` (budget 61440 each,
issue #12). Measured in-process with tests/pageweight.py: bytes do not depend on the machine's speed.
"""
import re
import sqlite3
import tempfile
import uuid
from pathlib import Path


def run():
    from flask_migrate import upgrade

    from composition import create_app
    from composition.demo import seed_demo_city
    from portal.extensions import db
    from surveys.bench import make_bench_survey
    from tests.pageweight import page_weight

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "weight.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
                          "UPLOAD_FOLDER": str(Path(tmp) / "uploads")})
        with app.app_context():
            upgrade()
            seed_demo_city()
            db.session.commit()
            slug = make_bench_survey().slug
        with sqlite3.connect(db_path) as connection:
            category = connection.execute("SELECT id FROM categories WHERE code = 'SR01'").fetchone()[0]
            area = connection.execute("SELECT id FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1").fetchone()[0]
        client = app.test_client()
        receipt = client.post("/report", data={"idempotency_key": uuid.uuid4().hex, "category_id": str(category),
                                               "area_id": str(area), "description": "东门垃圾桶满了没人清，气味很大"})
        number = re.search(r"/report/receipt/([^/?]+)", receipt.headers["Location"])[1]
        with app.app_context():
            return {"report_page_bytes": page_weight(client, "/report").total,
                    "tracking_page_bytes": page_weight(client, f"/track/{number}").total,
                    "survey_page_bytes": page_weight(client, f"/surveys/{slug}").total}
