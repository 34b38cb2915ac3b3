"""Export files in the database: written in chunks of whole lines as a job goes, read back in
order a chunk at a time. Every instance can serve them, and no file is ever held in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from afterglow.db import session_maker
from afterglow.exports.models import ExportChunk, ExportFile

OUTPUT = "output"
ERROR = "error"


@dataclass
class _File:
    """A file of the job as stored, and the lines waiting to be stored after it."""

    file_id: int | None = None
    resources: int = 0
    size_bytes: int = 0
    chunks: int = 0
    waiting: bytearray = field(default_factory=bytearray)
    waiting_lines: int = 0


class FileWriter:
    """The NDJSON files of one job, one per (kind, resource type).

    Lines wait in memory until `store` writes them as one chunk per file, in the caller's
    transaction; what is waiting is bounded by how often the caller stores. A patient whose
    resources cannot all be read is taken back whole (`mark`, `rewind`), so no file holds half
    a record.
    """

    def __init__(self, job_id: int, files: dict[tuple[str, str], _File]) -> None:
        self.job_id = job_id
        self._files = files

    @classmethod
    async def resume(cls, db: AsyncSession, job_id: int) -> FileWriter:
        """The writer of a job, after what its earlier runs stored."""
        rows = await db.execute(
            select(ExportFile).where(col(ExportFile.job_id) == job_id).order_by(col(ExportFile.id))
        )
        files = {
            (f.kind, f.resource_type): _File(f.id, f.resources, f.size_bytes, f.chunks)
            for f in rows.scalars()
        }
        return cls(job_id, files)

    @property
    def waiting_bytes(self) -> int:
        return sum(len(f.waiting) for f in self._files.values())

    def add(self, kind: str, resource_type: str, line: bytes) -> None:
        """One resource, serialised as one line (no newline inside: JSON escapes them)."""
        file = self._files.setdefault((kind, resource_type), _File())
        file.waiting += line
        file.waiting += b"\n"
        file.waiting_lines += 1

    def mark(self) -> dict[tuple[str, str], tuple[int, int]]:
        return {key: (len(f.waiting), f.waiting_lines) for key, f in self._files.items()}

    def rewind(self, mark: dict[tuple[str, str], tuple[int, int]]) -> None:
        for key, file in self._files.items():
            size, lines = mark.get(key, (0, 0))
            del file.waiting[size:]
            file.waiting_lines = lines

    async def store(self, db: AsyncSession) -> None:
        """Write what is waiting, one chunk per file, in `db`'s transaction. The writer moves on
        only after `stored()`, once that transaction has committed."""
        for (kind, resource_type), file in sorted(self._files.items()):
            if not file.waiting:
                continue
            if file.file_id is None:
                file.file_id = await db.scalar(
                    insert(ExportFile)
                    .values(
                        job_id=self.job_id,
                        kind=kind,
                        resource_type=resource_type,
                        resources=0,
                        size_bytes=0,
                        chunks=0,
                    )
                    .returning(col(ExportFile.id))
                )
            await db.execute(
                insert(ExportChunk).values(
                    file_id=file.file_id, seq=file.chunks, data=bytes(file.waiting)
                )
            )
            await db.execute(
                update(ExportFile)
                .where(col(ExportFile.id) == file.file_id)
                .values(
                    resources=file.resources + file.waiting_lines,
                    size_bytes=file.size_bytes + len(file.waiting),
                    chunks=file.chunks + 1,
                )
            )

    def stored(self) -> None:
        for file in self._files.values():
            if file.waiting:
                file.resources += file.waiting_lines
                file.size_bytes += len(file.waiting)
                file.chunks += 1
                file.waiting = bytearray()
                file.waiting_lines = 0


async def file_chunks(engine: AsyncEngine, file_id: int, chunks: int) -> AsyncIterator[bytes]:
    """A stored file, chunk by chunk, each read in a short transaction of its own."""
    sessions = session_maker(engine)
    for seq in range(chunks):
        async with sessions() as db:
            data = await db.scalar(
                select(col(ExportChunk.data)).where(
                    col(ExportChunk.file_id) == file_id, col(ExportChunk.seq) == seq
                )
            )
        if data is None:  # deleted while being read (the export was cancelled)
            return
        yield bytes(data)


async def delete_files(db: AsyncSession, job_id: int) -> None:
    """Delete every file of a job and its chunks (in `db`'s transaction)."""
    files: Any = select(col(ExportFile.id)).where(col(ExportFile.job_id) == job_id)
    await db.execute(delete(ExportChunk).where(col(ExportChunk.file_id).in_(files)))
    await db.execute(delete(ExportFile).where(col(ExportFile.job_id) == job_id))
