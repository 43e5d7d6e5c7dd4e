""""Me too" counts: concurrent voices on one case are all counted (the count is added to in SQL, never read and
written back from Python)."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from complaints import handling, services
from complaints.case_records import MeToo
from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_case, make_user


def test_thirty_two_browsers_saying_me_too_at_once_are_all_counted(app, served):
    case = make_case()
    number, case_id = case.number, case.id
    start = threading.Barrier(32)

    def send(_n):
        client = served.test_client()
        start.wait()
        return client.post(f"/report/{number}/me-too", data={"idempotency_key": uuid.uuid4().hex}).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(send, range(32)))

    assert codes == [302] * 32
    db.session.expire_all()
    # 32 threads, one "me too" each: 32 rows and a count of 32 (before the fix: fewer, lost updates)
    assert db.session.scalar(db.select(db.func.count(MeToo.id)).where(MeToo.case_id == case_id)) == 32
    assert db.session.get(Case, case_id).me_too_count == 32


def test_merging_adds_the_duplicate_and_its_voices_to_the_target(app):
    target, duplicate = make_case(), make_case()
    services.add_me_too(duplicate)
    services.add_me_too(duplicate)
    services.add_me_too(target)
    db.session.commit()
    dispatcher = make_user(Role.DISPATCHER)

    handling.merge_cases(duplicate, target, dispatcher)
    db.session.commit()

    db.session.expire_all()
    # target: its own 1, plus the duplicate report itself (1) and the duplicate's 2 voices = 4
    assert db.session.get(Case, target.id).me_too_count == 4
