"""SOP 5.1 dismantle: feasibility analysis, wipe records, register changes, certificate.

Playbooks hand back (set_stats, keyed by host):
- ``dismantle_feasibility`` (step 1, dismantle_feasibility.yml): mounts, disks, interfaces;
- ``disk_wipes`` (step 4, dismantle_wipe.yml): the disk_wipe module's results;
- ``dismantle_shutdown`` (step 5, dismantle_shutdown.yml): how the device was marked off;
- ``dismantle_register`` (step 6, dismantle_register.yml): the register's final status.
The recorders here store them and move the device along the register
(active → decommissioning → offline → disposed), history kept.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit, keys
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import Command, Feature
from sop_runner.procedures import register
from sop_runner.procedures.backup import BackupRecord
from sop_runner.procedures.grants import RemoteAccessLogEntry
from sop_runner.store.models import Base, Request, Run
from sop_runner.store.types import UTCDateTime

ORGANIZATION = "Dinas Komunikasi dan Informatika Kabupaten Tegal (Pusat Data)"
SIGN_ROLES = ("penanggung_jawab", "pimpinan")
_BIG = BigInteger().with_variant(Integer, "sqlite")


class DismantleFeasibility(Base):
    """The technical and administrative feasibility analysis of one device (step 1)."""

    __tablename__ = "dismantle_feasibility"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    findings: Mapped[dict[str, Any]] = mapped_column(JSON)
    blockers: Mapped[list[Any]] = mapped_column(JSON)


class DiskWipe(Base):
    """One disk wiped and verified (step 4), with the wipe log whose hash is certified."""

    __tablename__ = "disk_wipes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    device: Mapped[str] = mapped_column(String(256))
    size_bytes: Mapped[int] = mapped_column(_BIG)
    bytes_written: Mapped[int] = mapped_column(_BIG)
    seconds: Mapped[float] = mapped_column(Float)
    throughput_mib_s: Mapped[float] = mapped_column(Float)
    method_type: Mapped[str] = mapped_column(String(16))
    technique: Mapped[str] = mapped_column(Text)
    tool: Mapped[str] = mapped_column(Text)
    media: Mapped[dict[str, Any]] = mapped_column(JSON)
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)
    verified: Mapped[bool] = mapped_column(Boolean)
    log_text: Mapped[str] = mapped_column(Text)
    log_sha256: Mapped[str] = mapped_column(String(64))
    wiped_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CertificateSignature(Base):
    """An ed25519 signature over a certificate's digest: the performer's or the validator's."""

    __tablename__ = "sanitization_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wipe_id: Mapped[int] = mapped_column(ForeignKey("disk_wipes.id"))
    role: Mapped[str] = mapped_column(String(16))  # performer | validator
    signer: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


# --- pure helpers --------------------------------------------------------------


def feasibility_findings(
    host: str,
    facts: dict[str, Any],
    services: list[dict[str, Any]],
    open_grants: list[dict[str, Any]],
    sole_backups: list[dict[str, Any]],
    device: dict[str, Any] | None,
) -> tuple[dict[str, Any], list[str]]:
    """Given what depends on a host, return the findings and what blocks dismantling it.

    Blockers are reported, not enforced: the Pimpinan decides with them in view.
    """
    mounts = [
        m
        for m in facts.get("mounts") or []
        if m.get("mount") and not str(m.get("fstype", "")).startswith(("proc", "sysfs", "tmpfs"))
    ]
    findings = {
        "host": host,
        "services": services,
        "open_grants": open_grants,
        "sole_backups": sole_backups,
        "mounts": [
            {"mount": m.get("mount"), "device": m.get("device"), "fstype": m.get("fstype")}
            for m in mounts
        ],
        "disks": facts.get("disks") or [],
        "interfaces": facts.get("interfaces") or [],
        "network_links": "no network-link register yet (SOP 1.2/3.2)",
        "administrative": {
            "registered": device is not None,
            "asset_number": (device or {}).get("asset_number", ""),
            "owner": (device or {}).get("owner", ""),
            "function": (device or {}).get("function", ""),
            "status": (device or {}).get("status", "unregistered"),
        },
    }
    blockers = []
    if services:
        blockers.append("services still run here: " + ", ".join(s["name"] for s in services))
    if open_grants:
        blockers.append(f"{len(open_grants)} remote-access grant(s) still open")
    if sole_backups:
        blockers.append(f"{len(sole_backups)} backup(s) whose only repository is on this host")
    if device is None:
        blockers.append("not in the device register (no asset number, no owner)")
    elif not device.get("asset_number") or not device.get("owner"):
        blockers.append("register entry lacks the asset number or the owner")
    return findings, blockers


def certificate_digest(fields: dict[str, Any]) -> str:
    """Given a certificate's fields, return the SHA-256 both signatures cover."""
    return hashlib.sha256(audit.canonical(fields).encode()).hexdigest()


def certificate_fields(
    wipe: dict[str, Any], device: dict[str, Any] | None, request: dict[str, Any]
) -> dict[str, Any]:
    """Given a wipe, the register entry and the request, return the Appendix G fields signed."""
    media = wipe["media"]
    make = " ".join(p for p in (media.get("vendor", ""), media.get("model", "")) if p)
    return {
        "request": request["id"],
        "host": wipe["host"],
        "media_make_model": make or "—",
        "media_serial": media.get("serial") or "—",
        "media_property_number": (device or {}).get("asset_number") or "—",
        "media_type": media.get("media_type", ""),
        "media_source": f"{wipe['host']} {wipe['device']}"
        + (f" (backing file {media['backing_file']})" if media.get("backing_file") else ""),
        "size_bytes": wipe["size_bytes"],
        "method_type": wipe["method_type"],
        "method_used": wipe["technique"],
        "tool": wipe["tool"],
        "verification_method": wipe["verification"].get("method", ""),
        "verification_passed": wipe["verified"],
        "destination": request.get("destination") or "—",
        "log_sha256": wipe["log_sha256"],
        "wiped_at": wipe["wiped_at"],
    }


# --- recorders -----------------------------------------------------------------


def _operator(session: Session, run_id: int) -> str:
    run = session.get(Run, run_id)
    return run.operator if run else "ansible"


def _device_dict(session: Session, host: str) -> dict[str, Any] | None:
    device = register.get_device(session, host)
    if device is None:
        return None
    return {
        "asset_number": device.asset_number,
        "owner": device.owner,
        "function": device.function,
        "status": device.status,
    }


def record_feasibility(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given facts per host from dismantle_feasibility.yml, store the analysis; return count."""
    inventory = Context().inventory
    for host, facts in sorted(per_host.items()):
        services = [
            {"name": s.name, "opd": s.opd, "criticality": s.criticality}
            for s in inventory.services
            if host in s.hosts
        ]
        grants = [
            {"user": g.user, "port": g.port, "ends_at": g.ends_at.isoformat()}
            for g in session.scalars(
                select(RemoteAccessLogEntry).where(
                    RemoteAccessLogEntry.host == host, RemoteAccessLogEntry.closed_at.is_(None)
                )
            ).all()
        ]
        by_source: dict[tuple[str, str], set[str]] = {}
        rows = session.scalars(select(BackupRecord).where(BackupRecord.status == "ok")).all()
        for row in rows:
            by_source.setdefault((row.host, row.source), set()).add(row.repository)
        sole = [
            {"source": source, "repository": next(iter(repos)), "of_host": of_host}
            for (of_host, source), repos in sorted(by_source.items())
            if len(repos) == 1 and _repository_on(next(iter(repos)), host)
        ]
        findings, blockers = feasibility_findings(
            host, facts, services, grants, sole, _device_dict(session, host)
        )
        session.add(
            DismantleFeasibility(
                run_id=run_id,
                host=host,
                analysed_at=datetime.now(UTC),
                findings=findings,
                blockers=blockers,
            )
        )
    return len(per_host)


def _repository_on(repository: str, host: str) -> bool:
    """Given a restic repository string, return whether it lives on the host."""
    return f"@{host}:" in repository or f"//{host}/" in repository or f"sftp:{host}:" in repository


def record_wipes(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given disk_wipe results per host, store each wipe and mark the host decommissioning.

    A failed wipe is stored too (not verified, with its log): it was written to.
    """
    operator = _operator(session, run_id)
    count = 0
    for host, results in sorted(per_host.items()):
        for result in results:
            verification = result.get("verification") or {}
            session.add(
                DiskWipe(
                    run_id=run_id,
                    host=host,
                    device=result["device"],
                    size_bytes=int(result["size_bytes"]),
                    bytes_written=int(result.get("bytes_written", 0)),
                    seconds=float(result.get("seconds", 0.0)),
                    throughput_mib_s=float(result.get("throughput_mib_s", 0.0)),
                    method_type=result["method_used"]["type"],
                    technique=result["method_used"]["technique"],
                    tool=result["tool"],
                    media=result.get("media") or {},
                    verification=verification,
                    verified=bool(verification.get("passed")),
                    log_text=result.get("log", ""),
                    log_sha256=result.get("log_sha256", ""),
                    wiped_at=datetime.now(UTC),
                )
            )
            count += 1
        register.advance_to(session, host, "decommissioning", operator, wipe_note(results), run_id)
    return count


def wipe_note(results: list[dict[str, Any]]) -> str:
    """Given one host's wipe results, return the register note: what was wiped, what failed."""
    done = [r["device"] for r in results if (r.get("verification") or {}).get("passed")]
    failed = ", ".join(r["device"] for r in results if r["device"] not in done)
    return f"data wiped: {', '.join(done) or '-'}" + (f"; wipe failed: {failed}" if failed else "")


def record_shutdown(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given how each host was marked off, move it to offline in the register."""
    operator = _operator(session, run_id)
    for host, info in sorted(per_host.items()):
        note = f"shut down ({info.get('mode', 'mark')}): {info.get('note', '')}".strip()
        register.advance_to(session, host, "offline", operator, note, run_id)
    return len(per_host)


def record_register(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given the final status per host, take it out of the active register (history kept)."""
    operator = _operator(session, run_id)
    for host, info in sorted(per_host.items()):
        note = f"removed from the register; destination: {info.get('destination', '')}"
        register.advance_to(session, host, "disposed", operator, note, run_id)
    return len(per_host)


RECORDERS: dict[str, Callable[[Session, int, Any], int]] = {
    "dismantle_feasibility": record_feasibility,
    "disk_wipes": record_wipes,
    "dismantle_shutdown": record_shutdown,
    "dismantle_register": record_register,
}


# --- documents -----------------------------------------------------------------


def _latest_run(session: Session, request_id: int) -> Run | None:
    return session.scalars(
        select(Run).where(Run.request_id == request_id).order_by(Run.id.desc())
    ).first()


def latest_per_device(rows: Sequence[DiskWipe]) -> list[DiskWipe]:
    """Given a run's wipes, oldest first, return the newest of each device (a retry's)."""
    return sorted({(r.host, r.device): r for r in rows}.values(), key=lambda r: r.id)


def _wipe_dict(row: DiskWipe) -> dict[str, Any]:
    return {
        "id": row.id,
        "host": row.host,
        "device": row.device,
        "size_bytes": row.size_bytes,
        "bytes_written": row.bytes_written,
        "seconds": row.seconds,
        "throughput_mib_s": row.throughput_mib_s,
        "method_type": row.method_type,
        "technique": row.technique,
        "tool": row.tool,
        "media": row.media,
        "verification": row.verification,
        "verified": row.verified,
        "log_sha256": row.log_sha256,
        "log_matches": hashlib.sha256(row.log_text.encode()).hexdigest() == row.log_sha256,
        "wiped_at": row.wiped_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def _request_dict(request: Request) -> dict[str, Any]:
    return {
        "id": request.id,
        "targets": request.targets,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "destination": request.params.get("destination", ""),
        "params": request.params,
    }


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a 5.1 request, return what its feasibility report and certificates show."""
    from sop_runner.reports.render import labels, step_rows
    from sop_runner.requests import get_request

    with ctx.session() as session:
        request = get_request(session, request_id)
        if request.procedure_id != "5.1":
            raise SopError(f"request {request_id} is procedure {request.procedure_id}, not 5.1")
        procedure = ctx.catalog.get("5.1")
        run = _latest_run(session, request_id)
        run_id = run.id if run else -1
        from sop_runner.store.models import StepRecord

        steps = list(
            session.scalars(
                select(StepRecord).where(StepRecord.run_id == run_id).order_by(StepRecord.id)
            ).all()
        )
        feasibility = [
            {"host": f.host, "findings": f.findings, "blockers": f.blockers}
            for f in session.scalars(
                select(DismantleFeasibility)
                .where(DismantleFeasibility.run_id == run_id)
                .order_by(DismantleFeasibility.host)
            ).all()
        ]
        req = _request_dict(request)
        certificates = []
        query = select(DiskWipe).where(DiskWipe.run_id == run_id).order_by(DiskWipe.id)
        for row in latest_per_device(session.scalars(query).all()):
            wipe = _wipe_dict(row)
            device = _device_dict(session, row.host)
            fields = certificate_fields(wipe, device, req)
            digest = certificate_digest(fields)
            signatures = _signatures(ctx, session, row.id, digest)
            certificates.append(
                {"wipe": wipe, "fields": fields, "digest": digest, "signatures": signatures}
            )
        registers = {}
        for host in request.targets:
            device = register.get_device(session, host)
            registers[host] = {
                "device": _device_dict(session, host),
                "history": [
                    {
                        "from": c.from_status or "—",
                        "to": c.to_status,
                        "at": c.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
                        "by": c.changed_by,
                        "run": c.run_id,
                        "note": c.note,
                    }
                    for c in (register.history(session, host) if device else [])
                ],
            }
        words = dict(labels(lang))
        return {
            "lang": lang,
            "L": words,
            "D": _words(lang),
            "procedure": procedure,
            "request": req,
            "run": {"id": run.id, "operator": run.operator, "status": run.status} if run else None,
            "steps": step_rows(procedure, steps, lang),
            "feasibility": feasibility,
            "certificates": certificates,
            "registers": registers,
            "organization": ORGANIZATION,
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }


def _signatures(ctx: Context, session: Session, wipe_id: int, digest: str) -> list[dict[str, Any]]:
    result = []
    for sig in session.scalars(
        select(CertificateSignature)
        .where(CertificateSignature.wipe_id == wipe_id)
        .order_by(CertificateSignature.id)
    ).all():
        operator = ctx.operators.get(sig.signer)
        valid = (
            operator is not None
            and sig.digest == digest
            and operator.verify(sig.signature, _sign_text(sig.role, sig.signer, digest))
        )
        result.append(
            {"role": sig.role, "signer": sig.signer, "signed_at": sig.signed_at, "valid": valid}
        )
    return result


def _sign_text(role: str, signer: str, digest: str) -> str:
    return f"sop-5.1-certificate:{role}:{signer}:{digest}"


def _words(lang: str) -> dict[str, str]:
    """Given a language, return the words of the 5.1 documents."""
    return WORDS[lang]


WORDS: dict[str, dict[str, str]] = {
    "id": {
        "feasibility_title": "Analisis Kelayakan Penghentian Perangkat Keras",
        "report_title": "Laporan Penghentian (Dismantle) Perangkat Keras",
        "certificate": "Sertifikat Sanitasi Media (NIST SP 800-88 Lampiran G)",
        "purpose": "Tujuan",
        "existing_state": "Kondisi eksisting",
        "technical": "Teknis",
        "administrative": "Administratif",
        "services": "Layanan pada perangkat",
        "open_grants": "Izin akses remot yang masih terbuka",
        "sole_backups": "Backup yang satu-satunya salinannya ada di perangkat ini",
        "mounts": "Sistem berkas terpasang",
        "disks": "Disk",
        "interfaces": "Antarmuka jaringan",
        "network_links": "Sambungan jaringan (register)",
        "asset_number": "Nomor aset",
        "owner": "Pemilik",
        "function": "Fungsi",
        "register_status": "Status di buku daftar perangkat",
        "blockers": "Hal yang menghalangi penghentian",
        "no_blockers": "Tidak ada hal yang menghalangi penghentian",
        "none": "tidak ada",
        "for_pimpinan": "Untuk diputuskan oleh Pimpinan (langkah 3: perintah penghentian).",
        "person": "Pelaksana sanitasi",
        "name": "Nama",
        "title_org": "Jabatan / organisasi",
        "location": "Lokasi",
        "media": "Informasi media",
        "make_model": "Merek / model",
        "serial": "Nomor seri",
        "property_number": "Nomor properti (aset)",
        "media_type": "Jenis media",
        "source": "Sumber",
        "size": "Ukuran",
        "data_backed_up": "Data sudah di-backup",
        "sanitization": "Rincian sanitasi",
        "method_type": "Jenis metode",
        "method_used": "Metode yang digunakan",
        "tool": "Alat (termasuk versi)",
        "verification": "Metode verifikasi",
        "verification_result": "Hasil verifikasi",
        "passed": "LULUS",
        "failed": "GAGAL",
        "throughput": "Kecepatan",
        "destination": "Tujuan media setelah sanitasi",
        "log_sha256": "SHA-256 log penghapusan",
        "log_intact": "log tersimpan cocok dengan hash",
        "signature": "Tanda tangan (pelaksana)",
        "validation": "Validasi (orang kedua)",
        "not_signed": "belum ditandatangani (`sop dismantle sign`)",
        "signature_valid": "tanda tangan ed25519 sah",
        "signature_invalid": "TANDA TANGAN TIDAK SAH",
        "digest": "Sidik sertifikat (SHA-256)",
        "register_history": "Riwayat status di buku daftar perangkat",
        "from": "Dari",
        "to": "Ke",
        "when": "Waktu (UTC)",
        "by": "Oleh",
        "no_wipe": "Belum ada penghapusan data yang tercatat.",
        "purpose_text": "Penghentian (dismantle) perangkat keras sesuai SOP 5.1",
    },
    "en": {
        "feasibility_title": "Hardware Dismantling Feasibility Analysis",
        "report_title": "Hardware Dismantling Report",
        "certificate": "Certificate of Sanitization (NIST SP 800-88 Appendix G)",
        "purpose": "Purpose",
        "existing_state": "Existing state",
        "technical": "Technical",
        "administrative": "Administrative",
        "services": "Services on the device",
        "open_grants": "Remote-access grants still open",
        "sole_backups": "Backups whose only copy is on this device",
        "mounts": "Mounted filesystems",
        "disks": "Disks",
        "interfaces": "Network interfaces",
        "network_links": "Network links (register)",
        "asset_number": "Asset number",
        "owner": "Owner",
        "function": "Function",
        "register_status": "Status in the device register",
        "blockers": "What stands in the way of dismantling",
        "no_blockers": "Nothing stands in the way of dismantling",
        "none": "none",
        "for_pimpinan": "For the head of office to decide (step 3: the dismantling order).",
        "person": "Person performing sanitization",
        "name": "Name",
        "title_org": "Title / organization",
        "location": "Location",
        "media": "Media information",
        "make_model": "Make / model",
        "serial": "Serial number",
        "property_number": "Media property number",
        "media_type": "Media type",
        "source": "Source",
        "size": "Size",
        "data_backed_up": "Data backed up",
        "sanitization": "Sanitization details",
        "method_type": "Method type",
        "method_used": "Method used",
        "tool": "Tool used (including version)",
        "verification": "Verification method",
        "verification_result": "Verification result",
        "passed": "PASSED",
        "failed": "FAILED",
        "throughput": "Throughput",
        "destination": "Post-sanitization destination",
        "log_sha256": "SHA-256 of the wipe log",
        "log_intact": "stored log matches the hash",
        "signature": "Signature (performer)",
        "validation": "Validation (second person)",
        "not_signed": "not signed yet (`sop dismantle sign`)",
        "signature_valid": "valid ed25519 signature",
        "signature_invalid": "SIGNATURE NOT VALID",
        "digest": "Certificate digest (SHA-256)",
        "register_history": "Status history in the device register",
        "from": "From",
        "to": "To",
        "when": "When (UTC)",
        "by": "By",
        "no_wipe": "No data wipe recorded yet.",
        "purpose_text": "Dismantling of hardware following SOP 5.1",
    },
}


def sign_certificates(ctx: Context, request_id: int, operator_name: str | None) -> list[str]:
    """Given a request and an operator, sign its certificates; return what was signed.

    The run's operator signs as performer; another operator holding the role of
    penanggung jawab or pimpinan signs as the second person's validation.
    """
    from sop_runner.operators import get_operator

    operator = get_operator(ctx.operators, operator_name)
    data = build(ctx, request_id, "en")
    if data["run"] is None or data["run"]["status"] != "succeeded" or not data["certificates"]:
        raise SopError(f"request {request_id}: no finished wipe to sign; run it first")
    if operator.name == data["run"]["operator"]:
        role = "performer"
    elif set(SIGN_ROLES) & set(operator.roles):
        role = "validator"
    else:
        raise SopError(
            f"sign: {operator.name!r} did not perform the wipe and holds neither "
            f"{' nor '.join(SIGN_ROLES)}; the validator must be a second person with one of them"
        )
    signed = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with ctx.session() as session:
        for cert in data["certificates"]:
            if not cert["wipe"]["verified"]:
                raise SopError(f"wipe {cert['wipe']['id']}: verification failed; cannot certify")
            signature = keys.sign(
                ctx.settings.key_dir,
                operator.name,
                _sign_text(role, operator.name, cert["digest"]),
            )
            session.add(
                CertificateSignature(
                    wipe_id=cert["wipe"]["id"],
                    role=role,
                    signer=operator.name,
                    signed_at=now,
                    digest=cert["digest"],
                    signature=signature,
                )
            )
            audit.append(
                session,
                operator.name,
                f"certificate.{role}",
                f"wipe/{cert['wipe']['id']}",
                {"request": request_id, "digest": cert["digest"]},
            )
            signed.append(f"{cert['wipe']['host']}:{cert['wipe']['device']} ({role})")
    return signed


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 5.1 request, write its feasibility report and dismantle report with certificates."""
    from sop_runner.reports.render import request_report_dir, template_environment

    data = build(ctx, request_id, lang)
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment()
    written = []
    for template, name in (
        ("dismantle_feasibility.md.j2", f"analisis-kelayakan-5.1-{request_id}-{lang}.md"),
        ("dismantle_report.md.j2", f"laporan-penghentian-5.1-{request_id}-{lang}.md"),
        ("dismantle_report.html.j2", f"laporan-penghentian-5.1-{request_id}-{lang}.html"),
    ):
        path = out / name
        path.write_text(env.get_template(template).render(**data))
        written.append(path)
    return written


# --- `sop dismantle ...` -------------------------------------------------------

cli = typer.Typer(help="SOP 5.1 dismantle: feasibility report, certificate of sanitization.")
cli_name = "dismantle"
_out = Console(soft_wrap=True)


@cli.command("report")
def report_command(
    request_id: int,
    lang: Annotated[str, typer.Option("--lang", help="id (default) or en")] = "id",
    out_dir: Annotated[Path | None, typer.Option("--out", help="directory")] = None,
) -> None:
    """Write the feasibility analysis and the dismantle report with its certificates."""
    if lang not in ("id", "en"):
        raise SopError(f"--lang: {lang!r} is not allowed; use 'id' or 'en'")
    for path in write_documents(Context(), request_id, lang, out_dir):
        _out.print(str(path))


@cli.command("sign")
def sign_command(
    request_id: int,
    as_: Annotated[str | None, typer.Option("--as", help="operator")] = None,
) -> None:
    """Sign the certificates: the performer, then a second person validates."""
    name = as_ or os.environ.get("SOP_OPERATOR")
    for line in sign_certificates(Context(), request_id, name):
        _out.print(f"signed {line}")


FEATURE = Feature(
    name="dismantle",
    procedures=("5.1",),
    tables=(DismantleFeasibility, DiskWipe, CertificateSignature),
    recorders=RECORDERS,
    commands={cli_name: Command(help=cli.info.help or "", load=lambda: cli)},
)
