"""A shared cache of expensive results, keyed by content digests of everything they depend on.

`@memoize(ResultClass)` on a function whose value depends only on its arguments and the code
stores each value under the SHA-256 of the function's name, its code (`code_digest`: its module
and every lib module it imports, directly or through others, read from their sources, plus
requirements.txt and the Python version) and its arguments (`digest`: DataFrames by content,
with pandas' row hashes, column names and dtypes). A changed cell, parameter, pinned package or
line of a lib module the function can run is a new key: nothing stale is served. Edits to the
modules it cannot reach (another analysis, the runner) keep its entries.

Entries are NumPy .npz archives read with allow_pickle=False (reading one runs no code) behind a
header with the payload's length and SHA-256: a truncated or damaged entry is reported in one log
line naming the file and computed again. A value is stored only if it reads back with the same
digest (the cache never changes a number). Entries are written to a temporary file in the cache
folder and renamed into place: a reader sees a whole entry or none, and two processes writing
the same entry leave one whole entry. Any failure of the cache (unwritable folder, full disk, a
folder that is a symbolic link: never followed) falls back to computing, with one warning.

Values read or computed are also kept in the process's memory (`remembered`, by entry name, so
never stale): a warm kernel runs every maker's notebooks in turn and would otherwise read the same
entries again; each caller gets a deep copy. A value the entries cannot hold (nested forecasts)
can be kept there only (`memoize(on_disk=False)`).

A check that passed can be recorded the same way (`record`, `recorded`: keyed by what it checked
and the code that checked it), so that no process runs it again: the data files' schema checks,
earlier runs' results, papermill's reading of a notebook's parameters.

Where: $EVR_CACHE_DIR, else `.cache` in the reports folder; EVR_NO_CACHE=1 turns it off. The
runner sets both for its kernels and Dask workers (--cache-dir, --no-cache).
"""

from __future__ import annotations

import ast
import collections
import contextlib
import copy
import dataclasses
import functools
import hashlib
import inspect
import io
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from lib import paths

log = logging.getLogger("lib.cache")

CACHE_DIR_ENV = "EVR_CACHE_DIR"
NO_CACHE_ENV = "EVR_NO_CACHE"
MAGIC = b"EVR-CACHE-1\n"
HEADER = len(MAGIC) + 32 + 8  # magic, SHA-256 of the payload, payload length
SUFFIX = ".entry"
TEMPORARY = ".tmp"
_warned: set[str] = set()  # one warning per problem and process
_MISS = object()


class Uncacheable(TypeError):
    """An argument or value the cache cannot hold exactly: the function is computed, not cached."""


class Damaged(Exception):
    """An entry that is not what the cache wrote (truncated, altered, not a regular file)."""


class Unusable(OSError):
    """A cache folder that must not be used (a symbolic link, not a folder)."""


def folder(reports_dir: Path | None = None) -> Path:
    """The cache folder: $EVR_CACHE_DIR, else `.cache` in the reports folder (not resolved: a
    symbolic link in its place is refused, not followed)."""
    chosen = os.environ.get(CACHE_DIR_ENV)
    return Path(chosen or Path(reports_dir or paths.reports_dir()) / ".cache").absolute()


def enabled() -> bool:
    return not os.environ.get(NO_CACHE_ENV)


def environment(cache_dir: Path, use: bool = True) -> dict[str, str]:
    """The variables that give kernels and Dask workers this cache folder, or no cache. A folder
    this process cannot write to turns the cache off, with one warning (here, not per kernel)."""
    cache_dir = Path(cache_dir).absolute()
    if use:
        try:
            created = not os.path.lexists(cache_dir)
            _checked(cache_dir, create=True)
            fd, probe = tempfile.mkstemp(dir=cache_dir, suffix=TEMPORARY)
            os.close(fd)
            os.unlink(probe)
            if created:  # the first entry makes it: a run that stores nothing leaves no folder
                cache_dir.rmdir()
        except OSError as error:
            _warn_once(
                str(cache_dir),
                "cache: cannot use %s (%s): computing without it",
                cache_dir,
                _reason(error),
            )
            use = False
    return {CACHE_DIR_ENV: str(cache_dir), NO_CACHE_ENV: "" if use else "1"}


# ---------------------------------------------------------------------------------------------
# Keys


def _feed(h, value) -> None:
    """Add `value` to hash `h`, unambiguously (type, length and order are part of it)."""
    if isinstance(value, pd.DataFrame):
        _feed(
            h,
            ("frame", len(value), [repr(c) for c in value.columns], [str(t) for t in value.dtypes]),
        )
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, pd.Series):
        _feed(h, ("series", len(value), repr(value.name), str(value.dtype)))
        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray) and value.dtype != object:
        _feed(h, ("array", value.dtype.str, value.shape))
        h.update(np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        _feed(h, (type(value).__qualname__, fields))
    elif isinstance(value, dict):
        h.update(f"dict[{len(value)}".encode())
        for name in sorted(value, key=repr):
            _feed(h, name)
            _feed(h, value[name])
        h.update(b"]")
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__}[{len(value)}".encode())
        for item in value:
            _feed(h, item)
        h.update(b"]")
    elif value is None or isinstance(
        value, str | bytes | int | float | np.generic | pd.Period | pd.Timestamp | pd.Timedelta
    ):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise Uncacheable(f"cannot digest a {type(value).__name__}")


def digest(value) -> str:
    """SHA-256 of a value by content: frames, series, arrays, dataclasses, containers, scalars."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


def code_files(source: Path, root: Path | None = None) -> list[Path]:
    """`source` and the files of every lib module it imports, directly or through other lib
    modules (read from the sources, so imports inside functions count), with their packages'
    __init__.py: the code a function of `source` can run. `root` is the lib folder."""
    root = Path(root or paths.PROJECT_ROOT / "lib")
    return sorted({Path(source), *module_files(lib_imports(Path(source), root), root)})


def module_files(names: set[str] | frozenset[str], root: Path) -> set[Path]:
    """The files of the lib modules `names` (dotted) and of every lib module they import,
    directly or through others, with their packages' __init__.py. `root` is the lib folder."""
    pending, seen = list(names), set()
    while pending:
        parts = pending.pop().split(".")[1:]
        for depth in range(len(parts) + 1):  # lib.a.b: lib/, lib/a/ (__init__), lib/a/b.py
            base = root.joinpath(*parts[:depth])
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate not in seen and candidate.is_file():
                    seen.add(candidate)
                    pending.extend(lib_imports(candidate, root))
    return seen


def _dotted(path: Path, root: Path) -> str:
    """lib/a/b.py -> lib.a.b; lib/a/__init__.py -> lib.a.__init__ (relative imports resolve from it)."""
    try:
        return ".".join(["lib", *path.relative_to(root).with_suffix("").parts])
    except ValueError:  # a module outside lib/ (a test, a script)
        return path.stem


def imports_in(source: str | bytes, module: str) -> set[str]:
    """Dotted names of the lib modules that Python `source` (the module `module`, whose relative
    imports resolve from it) imports anywhere, inside functions too: `from lib.a import b` gives
    lib.a and lib.a.b. SyntaxError when it is not Python."""
    names: set[str] = set()
    for node in _statements(ast.parse(source).body):  # imports are statements: no expression
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = module.split(".")[: -node.level] if node.level else []
            base = ".".join([*package, *([node.module] if node.module else [])])
            names.update([base, *(f"{base}.{a.name}" for a in node.names)])
    return {name for name in names if name.split(".")[0] == "lib"}


def _statements(nodes: list) -> Iterator[ast.stmt]:
    for node in nodes:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, block, ()))


def lib_imports(path: Path, root: Path) -> frozenset[str]:
    """`imports_in` of the file at `path` in the lib folder `root`, parsed once per version of
    the file in this process (the digests of several functions' code share most modules)."""
    info = path.stat()
    return _file_imports(path, _dotted(path, root), (info.st_mtime_ns, info.st_size, info.st_ino))


@functools.lru_cache(maxsize=1024)
def _file_imports(path: Path, dotted: str, stamp: tuple) -> frozenset[str]:
    return frozenset(imports_in(path.read_bytes(), dotted))


def code_digest(source: Path, root: Path | None = None) -> str:
    """Digest of the code a function of `source` can run (`code_files`), the project's
    requirements.txt (pinned packages) and the Python version. The files are parsed and read
    again only when a file of lib/ changes size or modification time (an edit in JupyterLab
    changes the key at once)."""
    root = Path(root or paths.PROJECT_ROOT / "lib")
    files = [Path(source), root.parent / "requirements.txt", *root.rglob("*.py")]
    stamps = tuple((p, s.st_mtime_ns, s.st_size) for p in files if (s := _stat(p)))
    return _digest_code(Path(source), root, stamps)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


@functools.lru_cache(maxsize=64)
def _digest_code(source: Path, root: Path, stamps: tuple) -> str:
    h = hashlib.sha256(sys.version.encode())
    requirements = root.parent / "requirements.txt"
    for path in [*code_files(source, root), requirements]:
        _feed(h, (_dotted(path, root), path.read_bytes() if path.is_file() else b""))
    return h.hexdigest()


def key(name: str, arguments: dict, code: str) -> str:
    """The entry key of `name` called with `arguments`: digest of name, code and arguments."""
    return digest((name, code, arguments))


# ---------------------------------------------------------------------------------------------
# Entries: an npz archive (no pickles) of a DataFrame, or a dataclass of frames and scalars


def _encode(value, arrays: dict, top: bool = True) -> dict:
    if isinstance(value, pd.DataFrame):
        if not (
            isinstance(value.index, pd.RangeIndex) and value.index.equals(pd.RangeIndex(len(value)))
        ):
            raise Uncacheable("a frame with an index other than 0..n-1")
        columns = []
        for name, column in value.items():
            ref = f"c{len(arrays)}"
            if not isinstance(name, str):
                raise Uncacheable(f"column name {name!r} is not text")
            if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
                arrays[ref] = column.to_numpy()
            elif isinstance(column.dtype, pd.StringDtype):
                arrays[f"{ref}_missing"] = column.isna().to_numpy()
                arrays[ref] = np.array(column.fillna("").tolist(), dtype=str)
            elif column.dtype == object and all(isinstance(v, str) for v in column):  # or empty
                arrays[ref] = np.array(column.tolist(), dtype=str)
            else:
                raise Uncacheable(f"column {name!r} of dtype {column.dtype}")
            columns.append([name, str(column.dtype), ref])
        return {"frame": columns, "rows": len(value)}
    if top and dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {"fields": {f.name: _encode(getattr(value, f.name), arrays, False) for f in fields}}
    if value is None or isinstance(value, str | bool | int | float):
        return {"value": value}
    raise Uncacheable(f"cannot store a {type(value).__name__}")


def _decode(spec: dict, arrays: dict, result_type: type | None = None):
    if "frame" in spec:
        columns = {}
        for name, dtype, ref in spec["frame"]:
            values = arrays[ref]
            if f"{ref}_missing" in arrays:
                values = np.where(arrays[f"{ref}_missing"], np.nan, values.astype(object))
            columns[name] = pd.Series(values, dtype=pd.api.types.pandas_dtype(dtype))
        return pd.DataFrame(columns, index=pd.RangeIndex(spec["rows"]))
    if "fields" in spec:
        fields = {name: _decode(field, arrays) for name, field in spec["fields"].items()}
        return result_type(**fields)
    return spec["value"]


def serialise(value) -> bytes:
    """An entry's bytes: header (magic, SHA-256 and length of the payload), then an npz payload."""
    arrays: dict[str, np.ndarray] = {}
    spec = json.dumps(_encode(value, arrays)).encode()
    buffer = io.BytesIO()
    np.savez(buffer, spec=np.frombuffer(spec, dtype=np.uint8), **arrays)
    payload = buffer.getvalue()
    return MAGIC + hashlib.sha256(payload).digest() + len(payload).to_bytes(8, "big") + payload


def deserialise(content: bytes, result_type: type | None = None):
    """The value of an entry's bytes; Damaged saying why when they are not what `serialise` wrote."""
    if not content.startswith(MAGIC):
        raise Damaged("not a cache entry (no header)")
    payload, length = content[HEADER:], int.from_bytes(content[HEADER - 8 : HEADER], "big")
    if len(payload) != length:
        raise Damaged(f"truncated or padded: {len(payload):,} of {length:,} bytes")
    if hashlib.sha256(payload).digest() != content[len(MAGIC) : len(MAGIC) + 32]:
        raise Damaged("its content does not match its SHA-256")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        return _decode(json.loads(arrays.pop("spec").tobytes()), arrays, result_type)
    except Exception as error:  # a sound checksum over content this code cannot read
        raise Damaged(f"unreadable ({type(error).__name__}: {error})") from None


def _checked(where: Path, create: bool) -> bool:
    """True when `where` is a real folder (created when `create`); Unusable when it is a symbolic
    link or not a folder; False when it does not exist."""
    if create:
        with contextlib.suppress(FileExistsError):  # a file or link in its place: said below
            where.mkdir(parents=True, exist_ok=True)
    try:
        mode = os.lstat(where).st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode):
        raise Unusable(f"{where} is a symbolic link (not followed)")
    if not stat.S_ISDIR(mode):
        raise Unusable(f"{where} is not a folder")
    return True


def read(entry: Path, result_type: type | None = None):
    """The value stored in `entry`, or _MISS; Damaged when it is not a whole entry."""
    if not _checked(entry.parent, create=False):
        return _MISS
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(entry, flags)
    except FileNotFoundError:
        return _MISS
    except OSError as error:
        if os.path.islink(entry):
            raise Damaged("a symbolic link (not followed)") from None
        raise error
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a folder or FIFO: never read, never waited on
        os.close(fd)
        raise Damaged("not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return deserialise(handle.read(), result_type)


def write(entry: Path, content: bytes) -> None:
    """Write an entry atomically: a temporary file in the same folder, renamed into place."""
    _checked(entry.parent, create=True)
    fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.name}.", suffix=TEMPORARY)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, entry)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _warn_once(problem: str, message: str, *args) -> None:
    if problem not in _warned:
        _warned.add(problem)
        log.warning(message, *args)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


# ---------------------------------------------------------------------------------------------
# The decorator


def memoize(result_type: type | None = None, on_disk: bool = True):
    """Cache the function's values by the digest of its name, its code and its arguments
    (bound to its signature with defaults, so positional and keyword calls share an entry).
    `result_type`: the dataclass it returns (fields: frames and scalars), or None for a frame.
    Values are also kept in this process's memory (`remembered`); `on_disk=False` keeps them
    there only (a value the entries cannot hold, e.g. nested forecasts)."""

    def decorate(function):
        name = f"{function.__module__}.{function.__qualname__}"
        signature = inspect.signature(function)
        source = Path(inspect.getsourcefile(inspect.unwrap(function)))

        @functools.wraps(function)
        def cached(*args, **kwargs):
            if not enabled():
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            entry = _entry(name, dict(bound.arguments), source)
            if entry is None:  # an argument or source it cannot digest: compute
                return function(*args, **kwargs)
            value = remembered.get(entry.name)
            if value is not _MISS:
                return value
            value = _look_up(entry, result_type) if on_disk else _MISS
            if value is _MISS:
                value = function(*args, **kwargs)
                if on_disk:
                    _store(entry, value, result_type, name)
            remembered.put(entry.name, value)
            return value

        cached.uncached = function
        return cached

    return decorate


def _entry(name: str, arguments: dict, source: Path) -> Path | None:
    """The entry of `name` called with `arguments` under the code of `source`; None (with one
    warning) when an argument or the source cannot be digested."""
    try:
        return folder() / f"{name}-{key(name, arguments, code_digest(source))}{SUFFIX}"
    except Exception as error:
        _warn_once(name, "cache: %s is computed, not cached: %s", name, error)
        return None


def recorded(check: str, arguments: dict, source: Path):
    """What `record(check, arguments, source, value)` stored before, in any process using this
    cache, for the same arguments and code (`source` and the lib modules it imports): a check
    that passed need not run again. None without a cache or record, or when it is damaged."""
    entry = _entry(check, arguments, source) if enabled() else None
    if entry is None:
        return None
    value = remembered.get(entry.name)
    if value is _MISS:
        value = _look_up(entry, None)
        if value is _MISS:
            return None
        remembered.put(entry.name, value)
    return value


def record(check: str, arguments: dict, source: Path, value: str | int | float | bool) -> None:
    """Record that `check` passed for `arguments` under the code of `source`, with what a
    caller needs to know of it (e.g. the rows of a data file); see `recorded`."""
    entry = _entry(check, arguments, source) if enabled() else None
    if entry is not None:
        _store(entry, value, None, check)
        remembered.put(entry.name, value)


class Remembered:
    """The values this process read or computed, by entry name (name and digest: never stale),
    the most recent `size`: a warm kernel runs every maker's notebooks in turn, and each would
    otherwise read (or, on_disk=False, compute) the same values again. Each caller gets its own
    copy, so that changing it changes nothing for the next."""

    def __init__(self, size: int) -> None:
        self.size, self.values = size, collections.OrderedDict()

    def get(self, name: str):
        if name not in self.values:
            return _MISS
        self.values.move_to_end(name)
        return copy.deepcopy(self.values[name])

    def put(self, name: str, value) -> None:
        self.values[name] = copy.deepcopy(value)
        while len(self.values) > self.size:
            self.values.popitem(last=False)

    def clear(self) -> None:
        self.values.clear()


remembered = Remembered(size=128)


def _look_up(entry: Path, result_type: type | None):
    try:
        return read(entry, result_type)
    except Damaged as problem:
        _warn_once(
            f"{entry} {problem}",
            "cache entry %s is damaged (%s): computing it again",
            entry,
            problem,
        )
    except OSError as error:
        _warn_once(
            str(entry.parent),
            "cache: cannot read %s (%s): computing without it",
            entry.parent,
            _reason(error),
        )
    return _MISS


def _store(entry: Path, value, result_type: type | None, name: str) -> None:
    """Store `value` if it reads back exactly; a failure is a warning, never a failed run."""
    try:
        content = serialise(value)
        if digest(deserialise(content, result_type)) != digest(value):
            raise Uncacheable("it does not read back exactly")
        write(entry, content)
    except OSError as error:
        _warn_once(
            str(entry.parent),
            "cache: cannot write to %s (%s): computing without it",
            entry.parent,
            _reason(error),
        )
    except Exception as error:  # Uncacheable, or a value the encoder cannot take
        _warn_once(name, "cache: %s is computed, not cached: %s", name, error)


# ---------------------------------------------------------------------------------------------
# The `python -m lib cache` command


def entries(where: Path) -> list[os.DirEntry]:
    """The cache's files in `where` (entries and temporary files left by killed writers), never
    following a link; Unusable when `where` is a symbolic link or not a folder."""
    if not _checked(where, create=False):
        return []
    with os.scandir(where) as found:
        return [
            e
            for e in found
            if e.name.endswith((SUFFIX, TEMPORARY)) and not e.is_dir(follow_symlinks=False)
        ]


def summary(where: Path) -> dict[str, tuple[int, int]]:
    """Entries and bytes per cached function (temporary files under 'unfinished writes')."""
    out: dict[str, tuple[int, int]] = {}
    for e in entries(where):
        name = e.name.rpartition("-")[0] if e.name.endswith(SUFFIX) else "unfinished writes"
        count, size = out.get(name, (0, 0))
        out[name] = (count + 1, size + e.stat(follow_symlinks=False).st_size)
    return out


def clear(where: Path) -> tuple[int, int]:
    """Remove every entry and temporary file (a link is removed, not followed); (files, bytes)."""
    removed = size = 0
    for e in entries(where):
        length = e.stat(follow_symlinks=False).st_size
        with contextlib.suppress(OSError):
            os.unlink(e.path)
            removed, size = removed + 1, size + length
    return removed, size
