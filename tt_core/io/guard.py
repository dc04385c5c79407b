"""Reading a user's files within :mod:`tt_core.limits`: plain files and zip archives (zips of CSV
tables, ``.xlsx`` workbooks).

A file is refused by its size before it is read, and read with a bounded ``read`` (so a special file
such as ``/dev/zero`` cannot fill the memory). A zip is refused by its member count and by the sum of
its members' *unpacked* sizes before anything is unpacked: Python's ``zipfile`` never returns more
than a member's declared size (a member that holds more fails its CRC check), so the declared sizes
bound what unpacking costs and a 2 MB zip bomb is refused in milliseconds. Encrypted members, unknown
compression methods and corrupt data become :class:`~tt_core.errors.ProblemFormatError` naming the
archive and the member, never a traceback.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib

from .. import limits
from ..errors import ProblemFormatError

__all__ = ["read_file", "open_zip", "read_member", "megabytes"]


def megabytes(n: int) -> str:
    """``n`` bytes in MB for messages (``"256"``, ``"1.5"``)."""
    return f"{n / 2**20:.3g}"


def _too_big(size: int | None, limit: int, what: str) -> str:
    got = f"is {megabytes(size)} MB" if size is not None else f"is larger than {megabytes(limit)} MB"
    which = ("tt_core.limits.MAX_INPUT_BYTES" if limit == limits.MAX_INPUT_BYTES
             else "this import's limit; uploads: 10 × TT_MAX_UPLOAD_MB")
    return (f"{what} {got}; an import reads at most {megabytes(limit)} MB ({which}, "
            "unpacked); split the data or check that this is the right file")


def read_file(path: str | os.PathLike, *, limit: int = limits.MAX_INPUT_BYTES, name: str | None = None) -> bytes:
    """The bytes of a file, refusing one larger than ``limit``.

    Parameters
    ----------
    path : str or os.PathLike
    limit : int
        Bytes at most.
    name : str, optional
        How messages name the file (default the path).

    Raises
    ------
    ProblemFormatError
        The file is larger than ``limit`` (a regular file by its size, before reading; anything
        else after ``limit`` bytes).
    OSError
        The file cannot be read.
    """
    where = name or str(path)
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode) and st.st_size > limit:
        raise ProblemFormatError(_too_big(st.st_size, limit, "the file"), path=where)
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ProblemFormatError(_too_big(None, limit, "the file"), path=where)
    return data


def open_zip(source: bytes | str | os.PathLike, *, name: str, what: str = "zip file",
             limit: int = limits.MAX_INPUT_BYTES) -> zipfile.ZipFile:
    """Open a zip archive after checking its member count and unpacked size.

    Parameters
    ----------
    source : bytes or path
        The archive's bytes or its file.
    name : str
        How messages name the archive.
    what : str
        What the archive should be, for the message when it is not a zip (``"zip file"``,
        ``"Excel workbook (.xlsx)"``).
    limit : int
        The largest total unpacked size accepted.

    Returns
    -------
    zipfile.ZipFile
        Open; the caller closes it.

    Raises
    ------
    ProblemFormatError
        Not a zip, too many members, or members that unpack to more than ``limit`` bytes.
    """
    try:
        if isinstance(source, (bytes, bytearray)):
            zf = zipfile.ZipFile(io.BytesIO(source))
        else:
            if os.stat(source).st_size > limit:
                raise ProblemFormatError(_too_big(os.stat(source).st_size, limit, "the file"), path=name)
            zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error) as exc:
        raise ProblemFormatError(f"not a {what}, or a damaged one ({exc})", path=name) from None
    try:
        infos = zf.infolist()
        if len(infos) > limits.MAX_ZIP_ENTRIES:
            raise ProblemFormatError(f"the archive has {len(infos):,} entries; at most {limits.MAX_ZIP_ENTRIES:,} "
                                     "are read (tt_core.limits.MAX_ZIP_ENTRIES)", path=name)
        total = sum(i.file_size for i in infos)
        if total > limit:
            big = max(infos, key=lambda i: i.file_size)
            raise ProblemFormatError(_too_big(total, limit, f"unpacked, the archive (its largest part, {big.filename}, "
                                                            f"{megabytes(big.file_size)} MB)"), path=name)
        for info in infos:
            _check_member(info, name)
    except BaseException:
        zf.close()
        raise
    return zf


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    if info.flag_bits & 0x1:
        raise ProblemFormatError(f"{info.filename} inside is encrypted; save the file without a password",
                                 path=name)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        raise ProblemFormatError(f"{info.filename} inside uses a compression method this program cannot unpack "
                                 f"(method {info.compress_type}); save it again with ordinary zip compression",
                                 path=name)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str) -> bytes:
    """The unpacked bytes of one member of an archive opened by :func:`open_zip`.

    Raises
    ------
    ProblemFormatError
        The member is damaged (bad CRC, truncated or corrupt data), naming the archive and member.
    """
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
            OSError) as exc:
        raise ProblemFormatError(f"{info.filename} inside cannot be unpacked ({exc}); the archive is damaged",
                                 path=name) from None
    if len(data) > info.file_size:  # zipfile stops at the declared size; this is a second guard
        raise ProblemFormatError(f"{info.filename} inside holds more than its declared size; the archive is "
                                 "damaged", path=name)
    return data

