"""The suppression list's rules on the real database (both backends): the keyed digest, the
generated key the instances share, `suppress_contact` and the batch check `suppressed_fields`
with its "same person" rule (the email, or without one the phone)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from leadflow.db.enums import SuppressionKind
from leadflow.db.models import Contact, Lead, ServerSecret, Suppression, User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import campaigns, leads
from leadflow.services.leads import LeadIntake
from leadflow.services.privacy import config, erasure, suppression
from leadflow.services.validation import phone_key
from leadflow.settings import Settings
from tests.helpers import Actors

KEY = "k" * 32


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    """Each test starts like a new process: no configured key, no cached generated one."""
    config.configure(Settings())
    suppression.forget_cached_key()
    yield
    config.configure(Settings())
    suppression.forget_cached_key()


def intake(email: str | None = None, phone: str = "") -> dict[str, str | None]:
    """A cleaned intake's keys, as `leads.clean_intake` makes them."""
    return {"email_key": email.lower() if email else None, "phone_key": phone_key(phone)}


async def erased_person(email: str | None, phone: str = "", last_name: str = "Weg") -> Contact:
    contact = await Contact.create(
        last_name=last_name,
        email=email,
        email_key=email.lower() if email else None,
        phone=phone,
        phone_key=phone_key(phone),
    )
    async with in_transaction():
        await suppression.suppress_contact(contact)
    return contact


def test_the_digest_is_a_pure_function_of_key_and_normalised_value() -> None:
    email = suppression.digest(KEY, SuppressionKind.EMAIL, "Erika@Example.com")
    assert email == suppression.digest(KEY, SuppressionKind.EMAIL, "erika@example.com")
    assert len(email) == 64 and int(email, 16) >= 0
    assert email != suppression.digest("x" * 32, SuppressionKind.EMAIL, "erika@example.com")
    assert email != suppression.digest(KEY, SuppressionKind.EMAIL, "erik@example.com")
    phone = suppression.digest(KEY, SuppressionKind.PHONE, "+49 511 123-45")
    assert phone == suppression.digest(KEY, SuppressionKind.PHONE, "+4951112345")
    # A national and an international spelling are different digits (phone_key keeps the "+").
    assert phone != suppression.digest(KEY, SuppressionKind.PHONE, "0511 12345")


async def test_the_configured_key_is_used_and_only_its_fingerprint_is_stored(
    app: Starlette,
) -> None:
    config.configure(Settings(suppression_key=KEY))
    assert await suppression.suppression_key() == KEY
    assert await suppression.lookup_keys() == [KEY]
    stored = await ServerSecret.all().values_list("name", "value")
    fingerprint = hmac.new(KEY.encode(), b"leadflow suppression key", hashlib.sha256).hexdigest()
    assert stored == [(suppression.FINGERPRINT_NAME, fingerprint)]
    assert KEY not in fingerprint


async def test_setting_the_recommended_key_later_keeps_erased_people_out(
    actors: Actors, caplog: pytest.LogCaptureFixture
) -> None:
    """The startup warning asks operators to set LEADFLOW_SUPPRESSION_KEY: doing so must not
    empty the list. The entries made with the generated key are still looked under it (intake,
    corrections, lifting); new entries are made with the configured key."""
    admin, manager = actors.admin.user, actors.manager.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    before = LeadIntake(last_name="Quastenflosser", email="eq@quast.example", phone="+49 5541 1")
    [lead] = await leads.create_leads(manager, campaign.id, [before])
    await erasure.erase_contact(admin, lead.contact_id, "Anruf")
    generated = await suppression.suppression_key()

    config.configure(Settings(suppression_key=KEY))
    assert await suppression.lookup_keys() == [KEY, generated]
    with pytest.raises(DomainError) as refused:
        await leads.create_leads(manager, campaign.id, [before])
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.SUPPRESSED,
        ("leads", "0", "email"),
    )
    phone_only = intake(None, "+49 5541 1")
    assert await suppression.suppressed_fields([phone_only]) == {0: "phone"}
    # A person erased now gets entries made with the configured key.
    after = LeadIntake(last_name="Neu", email="neu@example.com")
    [lead] = await leads.create_leads(manager, campaign.id, [after])
    await erasure.erase_contact(admin, lead.contact_id, "Anruf")
    new_entry = suppression.digest(KEY, SuppressionKind.EMAIL, "neu@example.com")
    assert await Suppression.filter(digest=new_entry).count() == 1
    # Lifting finds the entries of both keys.
    assert await suppression.lift_suppression(admin, "EQ@quast.example", None, "zurück") == 1
    assert await suppression.lift_suppression(admin, "neu@example.com", None, "zurück") == 1
    assert await suppression.suppressed_fields([intake("eq@quast.example")]) == {}
    # Not a key change: nothing is reported.
    assert "changed" not in caplog.text


async def test_changing_the_configured_key_while_entries_exist_is_an_error_in_the_log(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    config.configure(Settings(suppression_key=KEY))
    await erased_person("erika@example.com")
    stored = await ServerSecret.get(name=suppression.FINGERPRINT_NAME)
    assert stored.value == suppression.fingerprint(KEY)

    config.configure(Settings(suppression_key="n" * 32))
    for _ in range(2):
        assert await suppression.suppressed_fields([intake("erika@example.com")]) == {}
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in errors] == [
        "LEADFLOW_SUPPRESSION_KEY changed: entries made with the old key no longer match; "
        "set it back"
    ]
    # The old key's fingerprint stays: setting the old key back is the repair.
    assert (await ServerSecret.get(name=suppression.FINGERPRINT_NAME)).value == stored.value
    config.configure(Settings(suppression_key=KEY))
    suppression.forget_cached_key()
    caplog.clear()
    assert await suppression.suppressed_fields([intake("erika@example.com")]) == {0: "email"}
    assert "changed" not in caplog.text


async def test_changing_the_configured_key_before_any_entry_is_no_error(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    config.configure(Settings(suppression_key=KEY))
    await suppression.suppression_key()
    config.configure(Settings(suppression_key="n" * 32))
    await suppression.suppression_key()
    assert "changed" not in caplog.text
    fingerprint = await ServerSecret.get(name=suppression.FINGERPRINT_NAME)
    assert fingerprint.value == suppression.fingerprint("n" * 32)


async def test_the_generated_key_is_stored_once_and_shared(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    first = await suppression.suppression_key()
    assert len(first) == 64
    assert "LEADFLOW_SUPPRESSION_KEY" in caplog.text
    # Another "instance" (no cache) reads the same key from the database.
    suppression.forget_cached_key()
    assert await suppression.suppression_key() == first
    assert await ServerSecret.filter(name=suppression.KEY_NAME).count() == 1
    # A digest made by one instance matches the other's check.
    await erased_person("erika@example.com")
    suppression.forget_cached_key()
    assert await suppression.suppressed_fields([intake("ERIKA@example.com")]) == {0: "email"}


async def test_concurrent_first_use_makes_one_key(app: Starlette) -> None:
    async def first_use() -> str:
        async with in_transaction():
            return await suppression.suppression_key()

    keys = await asyncio.gather(*(first_use() for _ in range(4)))
    assert len(set(keys)) == 1
    assert await ServerSecret.all().values_list("value", flat=True) == [keys[0]]


async def test_a_rolled_back_key_is_not_kept_by_the_process(app: Starlette) -> None:
    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack):
        async with in_transaction():
            lost = await suppression.suppression_key()
            raise RolledBack
    assert await ServerSecret.all().count() == 0
    kept = await suppression.suppression_key()
    assert kept != lost
    assert await ServerSecret.all().values_list("value", flat=True) == [kept]


async def test_suppress_contact_stores_digests_never_values(app: Starlette) -> None:
    config.configure(Settings(suppression_key=KEY))
    contact = await erased_person("Erika@Example.com", "+49 511 123")
    rows = await Suppression.all().order_by("kind").values("kind", "digest", "contact_id")
    assert rows == [
        {
            "kind": SuppressionKind.EMAIL,
            "digest": suppression.digest(KEY, SuppressionKind.EMAIL, "erika@example.com"),
            "contact_id": contact.id,
        },
        {
            "kind": SuppressionKind.PHONE,
            "digest": suppression.digest(KEY, SuppressionKind.PHONE, "+49511123"),
            "contact_id": contact.id,
        },
    ]
    stored = " ".join(str(value) for row in rows for value in row.values())
    assert "erika" not in stored.lower() and "511123" not in stored


async def test_suppress_takes_every_key_the_contact_had_and_skips_empty_ones(
    app: Starlette,
) -> None:
    """The erasure passes the correction history's keys too: an email corrected before the
    erasure keeps the person out as well as the last one."""
    config.configure(Settings(suppression_key=KEY))
    async with in_transaction():
        await suppression.suppress(7, ["old@example.com", "new@example.com", ""], ["+49 1", ""])
        # Again (a second erasure of a shared number, a retry): conflicts are ignored.
        await suppression.suppress(8, ["new@example.com"], ["+49 1", "keine Nummer"])
    rows = await Suppression.all().values_list("kind", "digest", "contact_id")
    assert sorted(rows) == sorted(
        [
            (
                SuppressionKind.EMAIL,
                suppression.digest(KEY, SuppressionKind.EMAIL, "old@example.com"),
                7,
            ),
            (
                SuppressionKind.EMAIL,
                suppression.digest(KEY, SuppressionKind.EMAIL, "new@example.com"),
                7,
            ),
            (SuppressionKind.PHONE, suppression.digest(KEY, SuppressionKind.PHONE, "+491"), 7),
        ]
    )
    found = await suppression.suppressed_fields([intake("OLD@example.com"), intake(None, "+49-1")])
    assert found == {0: "email", 1: "phone"}


async def test_a_second_contact_with_the_same_phone_is_no_error(app: Starlette) -> None:
    first = await erased_person("a@example.com", "0511 100")
    await erased_person("b@example.com", "0511-100")
    phones = await Suppression.filter(kind=SuppressionKind.PHONE).values_list(
        "contact_id", flat=True
    )
    assert phones == [first.id]
    assert await Suppression.filter(kind=SuppressionKind.EMAIL).count() == 2


async def test_a_contact_without_values_adds_nothing(app: Starlette) -> None:
    await erased_person(None, "ohne Nummer")
    assert await Suppression.all().count() == 0


async def test_the_same_person_is_the_email_or_without_email_the_phone(app: Starlette) -> None:
    await erased_person("erika@example.com", "+49 511 123")
    await erased_person(None, "0511 999")
    found = await suppression.suppressed_fields(
        [
            intake("other@example.com"),  # 0: a stranger
            intake("Erika@EXAMPLE.com"),  # 1: her email, another case
            intake(None, "+49 (511) 12-3"),  # 2: her phone, no email
            intake("colleague@example.com", "+49 511 123"),  # 3: the switchboard, another email
            intake(None, "0511-999"),  # 4: the phone-only person's number
            intake("erika@example.com", "0171 555"),  # 5: her email, a new phone
            intake(None, "0511 123"),  # 6: national digits differ from "+49511123"
        ]
    )
    assert found == {1: "email", 2: "phone", 4: "phone", 5: "email"}


async def test_an_empty_batch_or_a_stranger_is_not_suppressed(app: Starlette) -> None:
    assert await suppression.suppressed_fields([]) == {}
    assert await suppression.suppressed_fields([intake("a@example.com")]) == {}
    # A rejected import row's values may be longer than any contact's: no match, no error.
    overlong = [intake(None, "9" * 101), intake(f"{'a' * 300}@example.com")]
    assert await suppression.suppressed_fields(overlong) == {}


async def test_an_intake_waiting_for_an_erasure_sees_its_suppression(actors) -> None:
    """createLeads of a person whose erasure is under way (it holds the contact's row lock):
    the intake waits for it and is refused, instead of missing the suppression not yet
    committed and storing the person again as a new contact. Several rounds, no timings
    asserted (the pause only lets the intake reach the lock first)."""
    admin, manager = actors.admin.user, actors.manager.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    for round_no in range(3):
        email = f"quast{round_no}@example.com"
        [lead] = await leads.create_leads(
            manager, campaign.id, [LeadIntake(last_name="Quast", email=email)]
        )
        again = LeadIntake(last_name="Quast", email=email.upper())
        _, refused, _ = await _erasure_and_intake(admin, manager, lead.contact_id, again)
        assert isinstance(refused, DomainError), refused
        assert (refused.code, refused.field) == (ErrorCode.SUPPRESSED, ("leads", "0", "email"))
        assert await Contact.filter(email_key=email).count() == 0


async def test_a_phone_only_intake_waiting_for_an_erasure_sees_its_suppression(
    actors: Actors,
) -> None:
    """The same for a person known by their phone alone: the intake locks every contact with
    that phone, so it waits for the erasure holding one of them (PostgreSQL; SQLite
    serialises the writers anyway) and is refused on the phone."""
    admin, manager = actors.admin.user, actors.manager.user
    campaign = await campaigns.create_campaign(manager, "Messe")
    for round_no in range(3):
        phone = f"+49 5541 77190{round_no}"
        person = LeadIntake(first_name="Erdmute", last_name="Quastenflosser", phone=phone)
        [lead] = await leads.create_leads(manager, campaign.id, [person])
        _, refused, _ = await _erasure_and_intake(admin, manager, lead.contact_id, person)
        assert isinstance(refused, DomainError), refused
        assert (refused.code, refused.field) == (ErrorCode.SUPPRESSED, ("leads", "0", "phone"))
        assert await Contact.filter(last_name="Quastenflosser").count() == 0
        assert await Contact.filter(phone_key=phone_key(phone)).count() == 0


async def _erasure_and_intake(
    admin: User, manager: User, contact_id: int, again: LeadIntake
) -> list[object]:
    """The erasure holds its transaction open until the intake had time to reach the lock."""
    erasing, release = asyncio.Event(), asyncio.Event()
    campaign_id = (await Lead.get(contact_id=contact_id)).campaign_id

    async def erase() -> None:
        async with in_transaction():
            await erasure.erase_contact(admin, contact_id, "Anruf")
            erasing.set()
            await release.wait()

    async def intake() -> object:
        await erasing.wait()
        try:
            return await leads.create_leads(manager, campaign_id, [again])
        except DomainError as refusal:
            return refusal

    async def let_go() -> None:
        await erasing.wait()
        await asyncio.sleep(0.2)
        release.set()

    return list(await asyncio.gather(erase(), intake(), let_go()))
