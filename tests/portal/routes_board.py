"""Route × role expectations for the board staff routes (merged into test_permissions.EXPECTED).

``EXPECTED`` maps (method, rule) to the roles allowed; ``world_values(world)`` may add URL values (ids of objects it
creates) for the rules' arguments.
"""
from portal.auth.models import Role

EDITORS = frozenset({Role.ADMIN, Role.MODERATOR})  # BOARD_EDIT
PUBLISHERS = frozenset({Role.ADMIN, Role.LEADER})  # BOARD_PUBLISH
READERS = EDITORS | PUBLISHERS
UNIT_STAFF = frozenset({Role.HANDLER})  # BOARD_APPEAL
BOARD = "/console/board"
ITEM = f"{BOARD}/items/<int:item_id>"
PHOTO = f"{BOARD}/photos/<int:board_photo_id>"
EVIDENCE = f"{BOARD}/inbox/appeals/<int:appeal_id>/evidence/<int:evidence_no>"

EXPECTED = {
    ("GET", f"{BOARD}/"): READERS,
    ("GET", f"{BOARD}/new"): EDITORS,
    ("POST", f"{BOARD}/new"): EDITORS,
    ("GET", f"{BOARD}/new-from-cases"): EDITORS,
    ("POST", f"{BOARD}/new-from-cases"): EDITORS,
    ("GET", ITEM): READERS,
    ("GET", f"{ITEM}/edit"): EDITORS,
    ("POST", f"{ITEM}/edit"): EDITORS,
    ("POST", f"{ITEM}/entries"): EDITORS,
    ("POST", f"{ITEM}/submit"): EDITORS,
    ("POST", f"{ITEM}/send-back"): EDITORS,
    ("POST", f"{ITEM}/publish"): PUBLISHERS,
    ("POST", f"{ITEM}/archive"): EDITORS,
    ("POST", f"{ITEM}/take-down"): READERS,
    ("GET", f"{PHOTO}/<any(original, published):version>"): READERS,
    ("GET", f"{PHOTO}/<any(original, published):version>/thumb"): READERS,
    ("POST", f"{PHOTO}/redact"): EDITORS,
    ("POST", f"{PHOTO}/delete"): EDITORS,
    ("POST", f"{BOARD}/appeals/<int:appeal_id>/decide"): EDITORS,
    ("GET", f"{BOARD}/candidates/"): EDITORS,
    ("POST", f"{BOARD}/candidates/<int:candidate_id>/use"): EDITORS,
    ("POST", f"{BOARD}/candidates/<int:candidate_id>/dismiss"): EDITORS,
    ("GET", f"{BOARD}/inbox/"): UNIT_STAFF,
    ("GET", f"{BOARD}/inbox/<int:item_id>"): UNIT_STAFF,
    ("POST", f"{BOARD}/inbox/<int:item_id>/appeal"): UNIT_STAFF,
    ("GET", f"{BOARD}/inbox/photos/<int:board_photo_id>"): UNIT_STAFF,
    ("GET", f"{BOARD}/inbox/photos/<int:board_photo_id>/thumb"): UNIT_STAFF,
    ("GET", EVIDENCE): UNIT_STAFF | READERS,
    ("GET", f"{EVIDENCE}/thumb"): UNIT_STAFF | READERS,
}


def world_values(world):
    """An item in review about the world's unit, with a photo and an open appeal with evidence, and a candidate.

    The photo files do not exist (keys of the right shape only): the role test reads no response bodies, so a
    served file would stay open."""
    from oversight.board.models import Appeal, Candidate, ItemPhoto
    from portal.extensions import db
    from tests.oversight.board.factories import make_item

    missing = "00/" + "0" * 32 + ".jpg"
    item = make_item("review", unit=world["unit"], point=world["point"], category=world["category"],
                     cases=[world["case"]], photos=0)
    photo = ItemPhoto(item_id=item.id, original_key=missing, original_thumb_key=missing, published_key=missing,
                      published_thumb_key=missing, width=160, height=120)
    appeal = Appeal(item_id=item.id, unit_id=world["unit"].id, statement="情况不属实",
                    evidence_keys=[{"key": missing, "thumb_key": missing}])
    candidate = Candidate(key="cluster:test", source="cluster", summary="测试", case_ids=[world["case"].id],
                          category_id=world["category"].id, point_id=world["point"].id)
    db.session.add_all([photo, appeal, candidate])
    db.session.commit()
    return {"item_id": item.id, "board_photo_id": photo.id, "version": "original", "appeal_id": appeal.id,
            "candidate_id": candidate.id, "evidence_no": 1}
