"""Export files in the database: written in chunks of whole lines as a job goes, read back in
order a chunk at a time. Every instance can serve them, and no file is ever held in memory.

A chunk is one zlib stream (fastest level), compressed as its lines come: FHIR NDJSON repeats
its codes and references line after line and shrinks about twentyfold, so a big clinic's export
writes a twentieth of the bytes, in a twentieth of the checkpoints. Served, it is the same
NDJSON. A chunk stored plain (by an Afterglow from before compression) starts with a line's `{`,
which no zlib stream does (0x78).
"""

from __future__ import annotations

import zlib
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
_PLAIN = b"{"


def _unpacked(data: bytes) -> bytes:
    return data if data[:1] == _PLAIN else zlib.decompress(data)


@dataclass
class _File:
    """A file of the job as stored; the lines kept since, compressed as they came (the next
    chunk); and the lines of the record being written, not yet kept."""

    file_id: int | None = None
    resources: int = 0
    size_bytes: int = 0
    chunks: int = 0
    packer: Any = None  # zlib's compressor of the next chunk, made at its first line
    packed: bytearray = field(default_factory=bytearray)
    packed_lines: int = 0
    packed_size: int = 0
    sealed: bytes | None = None  # the next chunk, whole, once `store` has finished it
    record: bytearray = field(default_factory=bytearray)
    record_lines: int = 0

    def seal(self) -> bytes:
        if self.sealed is None:
            self.sealed = bytes(self.packed + self.packer.flush())
        return self.sealed


class FileWriter:
    """The NDJSON files of one job, one per (kind, resource type).

    A record's lines (`add`) are held apart until it is whole (`keep`), or taken back whole
    (`drop`) when it cannot all be read, so no file holds half a record. Kept lines are
    compressed as they come and wait in memory until `store` writes them as one chunk per file,
    in the caller's transaction; what is waiting is bounded by how often the caller stores.
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
        """The compressed bytes waiting to be stored."""
        return sum(len(f.packed) for f in self._files.values())

    def add(self, kind: str, resource_type: str, line: bytes) -> None:
        """One resource of the record being written, serialised as one line (no newline inside:
        JSON escapes them)."""
        file = self._files.get((kind, resource_type))
        if file is None:
            file = self._files[(kind, resource_type)] = _File()
        file.record += line
        file.record += b"\n"
        file.record_lines += 1

    def keep(self) -> None:
        """The record's lines are whole: into the next chunk of each file."""
        for file in self._files.values():
            if not file.record_lines:
                continue
            if file.packer is None:
                file.packer = zlib.compressobj(1)
            file.packed += file.packer.compress(file.record)
            file.packed_lines += file.record_lines
            file.packed_size += len(file.record)
            file.record = bytearray()
            file.record_lines = 0

    def drop(self) -> None:
        """Take back the lines of the record being written."""
        for file in self._files.values():
            file.record = bytearray()
            file.record_lines = 0

    async def store(self, db: AsyncSession) -> None:
        """Write what was kept, one chunk per file, in `db`'s transaction. The writer moves on
        only after `stored()`, once that transaction has committed."""
        for (kind, resource_type), file in sorted(self._files.items()):
            if not file.packed_lines:
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
                insert(ExportChunk).values(file_id=file.file_id, seq=file.chunks, data=file.seal())
            )
            await db.execute(
                update(ExportFile)
                .where(col(ExportFile.id) == file.file_id)
                .values(
                    resources=file.resources + file.packed_lines,
                    size_bytes=file.size_bytes + file.packed_size,
                    chunks=file.chunks + 1,
                )
            )

    def stored(self) -> None:
        for file in self._files.values():
            if file.packed_lines:
                file.resources += file.packed_lines
                file.size_bytes += file.packed_size
                file.chunks += 1
                file.packer, file.sealed = None, None
                file.packed = bytearray()
                file.packed_lines = file.packed_size = 0


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
        yield _unpacked(bytes(data))


async def delete_files(db: AsyncSession, job_id: int) -> None:
    """Delete every file of a job and its chunks (in `db`'s transaction)."""
    files: Any = select(col(ExportFile.id)).where(col(ExportFile.job_id) == job_id)
    await db.execute(delete(ExportChunk).where(col(ExportChunk.file_id).in_(files)))
    await db.execute(delete(ExportFile).where(col(ExportFile.job_id) == job_id))
