"""Re-keying rotation at scale (issue 16, item 5): `manage.py rotate_org_key` gives every case a
new data key. Each seeded case holds what the issue names: an intake, three messages, one note
and one 1 MB file, all sealed with the vault's real code (CaseCipher, HPKE), plus its applicant
copy of the key (ApplicantKey). Seeding skips Argon2id: each applicant key pair is random rather
than derived from a receipt code (the rotation only reads the public half).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

from tqdm import tqdm

FILE_BYTES = 1024 * 1024
_STATE: dict = {}


def _init(org_public: bytes, author_pk: int) -> None:
    from vault import crypto

    _STATE["org"] = crypto.public_key_load(org_public)
    _STATE["author"] = author_pk
    _STATE["file"] = os.urandom(FILE_BYTES)  # a cleaned file's bytes; sealed per case below


def _chunk(count: int) -> list[dict]:
    from evacuation.models import Attachment, Direction, Message, Note
    from vault import crypto
    from vault.cases import CaseCipher, applicant_dek_info, case_dek_info

    author = _STATE["author"]
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        uid = str(uuid.uuid4())
        cipher = CaseCipher(uid, crypto.random_key())
        applicant = crypto.keypair_generate()
        created = now - timedelta(days=30, seconds=i)
        payload = json.dumps(
            {"v": 1, "name": f"Bench applicant {i}", "situation": "x" * 400, "party_size": 2}
        ).encode()
        messages = []
        for sequence, direction in enumerate(
            (Direction.FROM_APPLICANT, Direction.TO_APPLICANT, Direction.FROM_APPLICANT), start=1
        ):
            m = Message(
                direction=direction,
                author_id=author if direction == Direction.TO_APPLICANT else None,
                sequence=sequence,
                created_at=created + timedelta(hours=sequence),
            )
            m.body = cipher.encrypt_text(m.purpose, "m" * 300)
            messages.append(m)
        note = Note(author_id=author, sequence=1, created_at=created + timedelta(hours=5))
        note.body = cipher.encrypt_text(note.purpose, "n" * 300)
        file = Attachment(
            direction=Direction.FROM_APPLICANT,
            kind="pdf",
            size=FILE_BYTES,
            created_at=created + timedelta(hours=6),
        )
        file.wrapped_key, file.blob = cipher.seal_file(file.purpose, _STATE["file"])
        out.append(
            {
                "uid": uid,
                "created": created,
                "payload": cipher.encrypt("intake", payload),
                "sealed": cipher.seal_to(_STATE["org"], info=case_dek_info(uid)),
                "commitment": cipher.commitment(),
                "applicant_public": applicant.public_bytes,
                "applicant_private": applicant.private_bytes,
                "applicant_sealed": cipher.seal_to(
                    applicant.public_bytes, info=applicant_dek_info(uid)
                ),
                "messages": messages,
                "note": note,
                "file": file,
            }
        )
    return out


def seed(total: int, *, author_pk: int, chunk: int = 50) -> dict[str, bytes]:
    """Adds `total` full cases; returns the applicant private keys of a sample (by uid)."""
    from django.db import connection, transaction

    from evacuation.models import REFERENCE_ALPHABET, Case
    from evacuation.models.case import URGENCY_PRIORITY
    from vault import crypto
    from vault.cases import current_org_key
    from vault.models import ApplicantKey, CaseKey
    from vault.receipts import LOCATOR_DIGITS

    org_key = current_org_key()
    rng = random.Random(total)
    used_refs = set(Case.objects.values_list("reference", flat=True))
    used_locators = set(ApplicantKey.objects.values_list("locator", flat=True))
    params = crypto.Argon2Params.from_settings()
    sample: dict[str, bytes] = {}
    sizes = [min(chunk, total - i) for i in range(0, total, chunk)]
    bar = tqdm(total=total, unit="case", desc="full cases (1 MB file each)", leave=False)
    connection.close()  # forked workers must not share the parent's socket
    context = multiprocessing.get_context("fork")
    with context.Pool(
        max(1, os.cpu_count() or 1), _init, (bytes(org_key.public_key), author_pk)
    ) as pool:
        for made in pool.imap(_chunk, sizes):
            cases, keys, applicants = [], [], []
            for row in made:
                while (
                    ref := "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
                ) in used_refs:
                    pass
                used_refs.add(ref)
                while (locator := f"{rng.randrange(10**LOCATOR_DIGITS):0{LOCATOR_DIGITS}d}") in (
                    used_locators
                ):
                    pass
                used_locators.add(locator)
                cases.append(
                    Case(
                        uid=row["uid"],
                        reference=f"EV-{ref[:4]}-{ref[4:]}",
                        state="assessed",
                        urgency="weeks",
                        priority=URGENCY_PRIORITY["weeks"],
                        payload=row["payload"],
                        created_at=row["created"],
                        last_applicant_activity_on=row["created"].date(),
                    )
                )
                keys.append(
                    CaseKey(
                        case_uid=row["uid"],
                        org_key_id=org_key.version,
                        sealed=row["sealed"],
                        commitment=row["commitment"],
                    )
                )
                applicants.append(
                    ApplicantKey(
                        case_uid=row["uid"],
                        locator=locator,
                        public_key=row["applicant_public"],
                        sealed=row["applicant_sealed"],
                        salt=crypto.random_salt(),
                        argon2_memory_kib=params.memory_kib,
                        argon2_iterations=params.iterations,
                        argon2_lanes=params.lanes,
                    )
                )
                if len(sample) < 50 and rng.random() < 0.2:
                    sample[row["uid"]] = row["applicant_private"]
            with transaction.atomic():
                created = {str(c.uid): c for c in Case.objects.bulk_create(cases)}
                CaseKey.objects.bulk_create(keys)
                ApplicantKey.objects.bulk_create(applicants)
                messages, notes, files = [], [], []
                for row in made:
                    case = created[row["uid"]]
                    for m in row["messages"]:
                        m.case = case
                        messages.append(m)
                    row["note"].case = case
                    notes.append(row["note"])
                    row["file"].case = case
                    files.append(row["file"])
                type(messages[0]).objects.bulk_create(messages)
                type(notes[0]).objects.bulk_create(notes)
                type(files[0]).objects.bulk_create(files, batch_size=10)
            bar.update(len(made))
    bar.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return sample


def _sample_reads(sample: dict[str, bytes], secret: str) -> tuple[int, int]:
    """(staff reads, applicant reads) of every text and file of the sample cases after."""
    from django.db.models import Max

    from evacuation.models import PAYLOAD_PURPOSE, Case
    from vault import crypto
    from vault.cases import CaseCipher, applicant_dek_info, case_dek_info
    from vault.models import ApplicantKey, CaseKey, OrgKey
    from vault.org import org_keys_from_recovery

    version = OrgKey.objects.aggregate(v=Max("version"))["v"]
    org = crypto.keypair_from_private_bytes(org_keys_from_recovery(secret)[version]).private
    staff = applicant = 0
    for uid, private in sample.items():
        case = Case.objects.get(uid=uid)
        dek = crypto.unseal(org, CaseKey.objects.get(case_uid=uid).sealed, info=case_dek_info(uid))
        own = crypto.unseal(
            crypto.keypair_from_private_bytes(private).private,
            ApplicantKey.objects.get(case_uid=uid).sealed,
            info=applicant_dek_info(uid),
        )
        for key, counter in ((dek, "staff"), (own, "applicant")):
            cipher = CaseCipher(uid, key)
            cipher.decrypt(PAYLOAD_PURPOSE, case.payload)
            for m in case.messages.all():
                cipher.decrypt(m.purpose, m.body)
            for n in case.notes.all():
                cipher.decrypt(n.purpose, n.body)
            for f in case.attachments.all():
                assert len(cipher.open_file(f.purpose, f.wrapped_key, f.blob)) == FILE_BYTES
            if counter == "staff":
                staff += 1
            else:
                applicant += 1
    return staff, applicant


def bench_rekey(ctx) -> str:
    from bench import infra, results
    from evacuation.models import Case
    from vault.models import CaseKey

    size = ctx.args.rekey_cases or (500 if ctx.args.quick else 100_000)
    start = time.perf_counter()
    sample = seed(size, author_pk=ctx.user.pk)
    seed_s = time.perf_counter() - start
    cases = Case.objects.count()
    secret_file = infra.WORK / "recovery_secret"
    # What the command costs before it does anything (Python, Django, the app registry).
    start = time.perf_counter()
    subprocess.run(
        [str(infra.PYTHON), "manage.py", "rotate_org_key", "--help"],
        cwd=infra.ROOT,
        env=ctx.env,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    startup_s = time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run(
        [
            str(infra.PYTHON),
            "manage.py",
            "rotate_org_key",
            "--recovery-file",
            str(secret_file),
            "--no-progress",
        ],
        cwd=infra.ROOT,
        env=ctx.env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    rotate_s = time.perf_counter() - start
    print(f"rekey: {done.stdout.strip().splitlines()[-1]} ({rotate_s:.1f} s)")
    left = CaseKey.objects.filter(rekey_batch="").count()
    staff, applicant = _sample_reads(sample, secret_file.read_text())
    per_case_ms = (rotate_s - startup_s) / cases * 1000
    projected = startup_s + per_case_ms * 100_000 / 1000
    body = results.preamble(
        "Re-keying rotation (`manage.py rotate_org_key`, issue 16 item 5)",
        ctx.machine,
        quick=ctx.args.quick,
    )
    body += (
        f"{cases:,} cases, each with an intake, three messages, one note and one 1 MB file "
        "(sealed with the vault's real code; applicant key pairs random instead of "
        "Argon2id-derived), then the real command, timed wall-clock including Django start-up: "
        "every case gets a new data key, its texts re-encrypted, its file key re-wrapped (the "
        "file bodies are not read or written), sealed to the new organisation key and to the "
        "applicant's public key; one audit event per batch of 500. The work is linear in the "
        "number of cases (batches walk a keyset cursor), so the 100,000-case figure is "
        "extrapolated from this run. Goal: 100,000 cases in <= 120 s.\n\n"
    )
    body += results.table(
        [
            "cases",
            "seeded s",
            "rotation s",
            "of which start-up s",
            "ms/case (after start-up)",
            "cases/s",
            "100,000 cases (extrapolated: start-up + linear)",
            "not re-keyed after",
            "sample reads after (staff / applicant)",
        ],
        [
            [
                f"{cases:,}",
                f"{seed_s:.0f}",
                f"**{rotate_s:.1f}**",
                f"{startup_s:.1f}",
                f"{per_case_ms:.2f}",
                f"{cases / (rotate_s - startup_s):,.0f}",
                f"{projected:,.0f} s",
                left,
                f"{staff}/{len(sample)} / {applicant}/{len(sample)}",
            ]
        ],
    )
    return body
