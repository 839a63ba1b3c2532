"""Read a claim file as plain data, remembering where every value came from.

Claim files are untrusted, so this reader is deliberately narrower than YAML:
safe tags only, no anchors or aliases (they buy nothing in a claim and are the
billion-laughs vector), no duplicate keys (PyYAML silently keeps the last one),
a size limit, and YAML 1.2 floats (`1e-3` is a number, not the string PyYAML
1.1 makes of it). Every scalar's position is kept, so that a schema error can
point at `file:line:column`. Integers are bounded (MAX_INT_DIGITS): a hex,
sexagesimal or long decimal one can be too large for a float or for `str`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from checker.jsonio import FileTooLarge, NotRegularFile, read_regular_file

__all__ = ["ClaimFileError", "Located", "Location", "read_claim_bytes", "read_yaml"]

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_INT_DIGITS = 300  # within a float's range, and far within Python's int -> str limit
_STR = "tag:yaml.org,2002:str"

_FLOAT = re.compile(
    r"""^[-+]?(?:
        (?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
      | \.[0-9_]+(?:[eE][-+]?[0-9]+)?
      | \.(?:inf|Inf|INF)
      | \.(?:nan|NaN|NAN)
    )$""",
    re.X,
)


@dataclasses.dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ClaimFileError(Exception):
    """A claim file cannot be used; the message names the place, the value and the fix."""

    def __init__(self, location: Location | str, message: str, hint: str = "") -> None:
        self.location = location
        self.message = message
        self.hint = hint
        text = f"{location}: {message}"
        super().__init__(f"{text}\n  hint: {hint}" if hint else text)


@dataclasses.dataclass(frozen=True)
class Located:
    """Plain data from a YAML file plus the location of each key path in it."""

    data: Any
    locations: dict[tuple[Any, ...], Location]
    file: str

    def where(self, path: tuple[Any, ...]) -> Location:
        """The location of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.locations.get(tuple(path[:end]))
            if found is not None:
                return found
        return Location(self.file, 1, 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases, with YAML 1.2 floats."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if self.check_event(yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (&name, *name) are not allowed in claim files",
                problem_mark=event.start_mark,
            )
        if getattr(event, "tag", None) not in (None, "!"):
            raise yaml.MarkedYAMLError(
                problem=f"tags ({event.tag}) are not allowed in claim files",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))

_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's parser and composer: ten times faster, used only on clean files."""

    _FastLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))

_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def read_claim_bytes(path: Path, display: str | None = None) -> bytes:
    """A claim file's bytes; ClaimFileError for a FIFO, a device, a folder or a file over
    MAX_BYTES, found from the opened file before anything is read, so none of them hangs
    or fills memory (`/dev/zero` given as a claim, a pipe named x.yaml in the claims)."""
    where = Location(display or str(path), 1, 1)
    try:
        return read_regular_file(path, MAX_BYTES)
    except NotRegularFile:
        raise ClaimFileError(
            where, "not a regular file", "a claim file is a plain YAML file, not a pipe or device"
        ) from None
    except FileTooLarge as exc:
        raise ClaimFileError(
            where,
            f"file is {exc.size} bytes; claim files are limited to {MAX_BYTES}",
            "a claim is a page of YAML; put data in the measurement, not the claim",
        ) from None
    except OSError as exc:
        raise ClaimFileError(where, f"cannot read file: {exc.strerror}") from None


def read_yaml(path: Path, display: str | None = None) -> Located:
    """Parse one claim file; raise ClaimFileError for anything unusable."""
    name = display or str(path)
    raw = read_claim_bytes(path, display)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ClaimFileError(
            Location(name, line, 1), f"not UTF-8 text (byte {raw[exc.start]:#04x})"
        ) from None
    return _compose(text, name)


def _compose(text: str, name: str) -> Located:
    node = _compose_fast(text)
    if node is not None:
        locations: dict[tuple[Any, ...], Location] = {}
        data = _construct(_FastLoader(""), node, (), locations, name, 0)
        return Located(data, locations, name)
    return _compose_checked(text, name)


def _compose_fast(text: str) -> yaml.Node | None:
    """The file's node tree from libyaml, or None when the careful reader must look.

    libyaml cannot be told to refuse anchors, tags or deep nesting while it
    composes, so its events are screened first; anything unusual (those, an
    error, a control character) goes to the pure-Python reader, whose messages
    name the problem exactly. Clean files, nearly all of them, never get there.
    """
    if _FastLoader is None or _NON_PRINTABLE.search(text):
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_FastLoader):
            if isinstance(event, yaml.AliasEvent):
                return None
            if isinstance(event, _NODE_EVENTS) and (
                event.anchor is not None or event.tag not in (None, "!")
            ):
                return None
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return None
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent) and depth == 0 and event.explicit:
                return None  # `---`: maybe several documents; the careful reader says which
        return yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return None


def _compose_checked(text: str, name: str) -> Located:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # control characters, checked before parsing
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ClaimFileError(
            Location(name, line, 1), f"invalid YAML: control character U+{code:04X}"
        ) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = (
            "indent with spaces, not tabs"
            if any(t in problem for t in ("\t", "\\t", "tab"))
            else ""
        )
        raise ClaimFileError(where, f"invalid YAML: {problem}", hint) from None
    except yaml.YAMLError as exc:
        raise ClaimFileError(Location(name, 1, 1), f"invalid YAML: {exc}") from None
    except RecursionError:
        raise ClaimFileError(
            Location(name, 1, 1), f"nesting deeper than {MAX_DEPTH} levels"
        ) from None
    finally:
        loader.dispose()
    if node is None:
        raise ClaimFileError(Location(name, 1, 1), "file is empty", "start from `checker new ID`")
    locations: dict[tuple[Any, ...], Location] = {}
    data = _construct(loader, node, (), locations, name, 0)
    return Located(data, locations, name)


def _construct(
    loader: _Loader,
    node: yaml.Node,
    path: tuple[Any, ...],
    locations: dict[tuple[Any, ...], Location],
    name: str,
    depth: int,
) -> Any:
    here = Location(name, node.start_mark.line + 1, node.start_mark.column + 1)
    locations.setdefault(path, here)
    if depth > MAX_DEPTH:
        raise ClaimFileError(here, f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node, path, locations, name, depth)
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*path, i), locations, name, depth + 1)
            for i, item in enumerate(node.value)
        ]
    if node.tag == _STR:
        return node.value  # most scalars are text: skip the constructor's dispatch
    return _scalar(loader, node, path, here)


def _scalar(loader: _Loader, node: yaml.Node, path: tuple[Any, ...], here: Location) -> Any:
    """A number or other non-text scalar, refused where it is too large to use."""
    field = ".".join(str(p) for p in path) or "(top level)"
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise ClaimFileError(here, f"cannot read value {_shown(node.value)}: {exc}") from None
    except (ValueError, OverflowError):  # int() past 4300 digits; a sexagesimal float's sum
        digits = sum(c.isdigit() for c in node.value)
        raise _too_large(here, field, digits) from None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT_LIMIT:
        raise _too_large(here, field, int(value.bit_length() * 0.30103) + 1)
    return value


_INT_LIMIT = 10**MAX_INT_DIGITS


def _too_large(here: Location, field: str, digits: int) -> ClaimFileError:
    return ClaimFileError(
        here, f"{field}: an integer of about {digits} digits; numbers in claim files are "
        f"limited to {MAX_INT_DIGITS} digits", "write it as a float (1e300), or rescale",
    )  # fmt: skip


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _construct_mapping(
    loader: _Loader,
    node: yaml.MappingNode,
    path: tuple[Any, ...],
    locations: dict[tuple[Any, ...], Location],
    name: str,
    depth: int,
) -> dict[Any, Any]:
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key_here = Location(name, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        if not isinstance(key_node, yaml.ScalarNode):
            raise ClaimFileError(key_here, "keys must be plain scalars")
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise ClaimFileError(key_here, "merge keys (<<) are not allowed in claim files")
        key = key_node.value if key_node.tag == _STR else _scalar(loader, key_node, path, key_here)
        if key in result:
            first = locations[(*path, key)]
            raise ClaimFileError(
                key_here,
                f"duplicate key {key!r} (first at line {first.line})",
                "YAML keeps only one of them; delete or rename the other",
            )
        locations[(*path, key)] = key_here
        result[key] = _construct(loader, value_node, (*path, key), locations, name, depth + 1)
    return result
