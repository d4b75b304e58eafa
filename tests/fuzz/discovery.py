"""What there is to fuzz, read from the application itself: every URL rule and method
(`app.url_map`), the fields each view reads (its FlaskForm classes, the `request.form`,
`request.args` and `request.files` keys in its source and its module's helpers), and every
Socket.IO event handler; and what docs/api.md promises, to check that nothing it names
escapes the fuzz."""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
APP_PACKAGES = ("portal", "messaging", "activities", "concierge")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}

# What a view reads from the request: `request.form.get("x")`, `args["x"]`, `getlist("x")`…
_READ_KEY = re.compile(
    r"\b(form|args|files|data|payload|values)\s*(?:\.get|\.getlist|\.get_all)?\s*[\(\[]\s*"
    r"[\"']([A-Za-z_][\w-]{0,40})[\"']"
)
_TEMPLATE = re.compile(r"render_template\(\s*[\"']([^\"']+)[\"']")
_INPUT_NAME = re.compile(r"""\bname=["']([A-Za-z_][\w-]{0,40})["']""")
_WORD = re.compile(r"^[A-Za-z][\w.-]{0,40}$")
_JSON_READS = ("get_json", "request.json")


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its name, its WTForms class name and its static choices (if any)."""

    name: str
    kind: str
    choices: tuple[str, ...] = ()


@dataclass
class RouteTarget:
    """One rule and one method of the app, with what its view is known to read."""

    rule: str
    method: str
    endpoint: str
    arguments: dict[str, str]  # path argument -> converter name ("int", "default", "path")
    fields: list[FieldSpec] = field(default_factory=list)
    form_keys: set[str] = field(default_factory=set)  # request.form keys read by hand
    file_keys: set[str] = field(default_factory=set)
    query_keys: set[str] = field(default_factory=set)
    json_keys: set[str] = field(default_factory=set)  # for views that read a JSON body
    reads_json: bool = False
    literals: set[str] = field(default_factory=set)  # words in the view: actions, choices
    forms: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")


@dataclass
class EventTarget:
    """One client-to-server Socket.IO event and the payload keys it is known to read."""

    name: str
    keys: set[str] = field(default_factory=set)


# Forms ----------------------------------------------------------------------------------------


def form_classes() -> dict[str, list[type[FlaskForm]]]:
    """Every FlaskForm subclass the app defines, by class name."""
    found: dict[str, list[type[FlaskForm]]] = {}
    stack: list[type] = [FlaskForm]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.split(".")[0] in APP_PACKAGES:
                found.setdefault(sub.__name__, []).append(sub)
            stack.append(sub)
    return found


def form_fields(cls: type[FlaskForm], resolve: Callable[[Any], Any]) -> list[FieldSpec]:
    """The fields of a form class, with their choices when they can be read without data."""
    specs: list[FieldSpec] = []
    for name in dir(cls):
        unbound = getattr(cls, name, None)
        if not isinstance(unbound, UnboundField) or name == "csrf_token":
            continue
        choices = unbound.kwargs.get("choices")
        if choices is None and len(unbound.args) > 2:
            choices = unbound.args[2]
        specs.append(
            FieldSpec(name, unbound.field_class.__name__, _choice_values(choices, resolve))
        )
    return specs


def _choice_values(choices: Any, resolve: Callable[[Any], Any]) -> tuple[str, ...]:
    if choices is None:
        return ()
    try:
        values = resolve(choices)
    except Exception:  # a choice list built from the database or the request: drawn later
        return ()
    out: list[str] = []
    for item in values or ():
        value = getattr(item, "value", None)
        if value is None:
            value = item[0] if isinstance(item, tuple | list) else item
        out.append(str(value))
    return tuple(out)


# Views ----------------------------------------------------------------------------------------


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _code_strings(code: types.CodeType) -> Iterator[str]:
    for const in code.co_consts:
        if isinstance(const, str):
            yield const
        elif isinstance(const, types.CodeType):
            yield from _code_strings(const)
        elif isinstance(const, tuple | frozenset):
            yield from (c for c in const if isinstance(c, str))


def _helpers(view: Callable[..., Any], depth: int = 3) -> list[Callable[..., Any]]:
    """The view and the functions of its own module that it calls (depth-limited)."""
    seen: dict[int, Callable[..., Any]] = {}
    module = getattr(view, "__module__", "")

    def walk(func: Callable[..., Any], level: int) -> None:
        func = inspect.unwrap(func)
        if id(func) in seen or not hasattr(func, "__code__"):
            return
        seen[id(func)] = func
        if level >= depth:
            return
        for name in _code_names(func.__code__):
            target = func.__globals__.get(name)
            if (
                isinstance(target, types.FunctionType)
                and inspect.unwrap(target).__module__ == module
            ):
                walk(target, level + 1)

    walk(view, 0)
    return list(seen.values())


def _module_words(func: Callable[..., Any]) -> set[str]:
    """Words held by module-level collections that the function names (allowed values)."""
    words: set[str] = set()
    for name in _code_names(func.__code__):
        value = func.__globals__.get(name)
        if isinstance(value, dict):
            value = list(value)
        if isinstance(value, set | frozenset | list | tuple) and len(value) <= 200:
            words.update(v for v in value if isinstance(v, str) and _WORD.match(v))
    return words


def template_names(template: str) -> set[str]:
    """Input names written by hand in a template (fields WTForms does not render)."""
    for folder in (ROOT / pkg for pkg in APP_PACKAGES):
        for path in folder.rglob(f"templates/{template}"):
            return set(_INPUT_NAME.findall(path.read_text(errors="replace"))) - {"csrf_token"}
    return set()


def route_targets(app: Flask) -> list[RouteTarget]:
    """Every rule and method of the app (static files aside), with what each view reads."""
    forms = form_classes()
    targets: list[RouteTarget] = []
    with app.test_request_context():
        resolve: Callable[[Any], Any] = lambda c: c() if callable(c) else c  # noqa: E731
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            view = app.view_functions[rule.endpoint]
            funcs = _helpers(view)
            names = {n for f in funcs for n in _code_names(f.__code__)}
            try:
                source = "\n".join(inspect.getsource(f) for f in funcs)
            except (OSError, TypeError):
                source = ""
            literals = {s for f in funcs for s in _code_strings(f.__code__) if _WORD.match(s)}
            literals |= {w for f in funcs for w in _module_words(f)}
            used_forms = sorted(n for n in names if n in forms)
            specs: dict[str, FieldSpec] = {}
            for form_name in used_forms:
                for cls in forms[form_name]:
                    for spec in form_fields(cls, resolve):
                        specs.setdefault(spec.name, spec)
            reads: dict[str, set[str]] = {}
            for where, key in _READ_KEY.findall(source):
                reads.setdefault(where, set()).add(key)
            hand_names: set[str] = set()
            for template in _TEMPLATE.findall(source):
                hand_names |= template_names(template)
            converters = {
                name: type(conv).__name__.removesuffix("Converter").lower()
                for name, conv in rule._converters.items()
            }
            for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
                reads_json = any(marker in source for marker in _JSON_READS)
                targets.append(
                    RouteTarget(
                        rule=rule.rule,
                        method=method,
                        endpoint=rule.endpoint,
                        arguments=converters,
                        fields=list(specs.values()),
                        form_keys=(reads.get("form", set()) | hand_names) - set(specs),
                        file_keys=reads.get("files", set()),
                        query_keys=reads.get("args", set()) | (hand_names & QUERY_WORDS),
                        json_keys=(reads.get("data", set()) | reads.get("payload", set()))
                        if reads_json
                        else set(),
                        reads_json=reads_json,
                        literals=literals,
                        forms=used_forms,
                    )
                )
    return targets


# Query keys the pages pass around (filters, paging); every route gets some of them too.
QUERY_WORDS = {
    "all",
    "action",
    "after",
    "before",
    "building",
    "category",
    "days",
    "kind",
    "next",
    "page",
    "q",
    "range",
    "resident",
    "scope",
    "since",
    "size",
    "until",
    "weeks",
}


def event_targets(socketio: Any) -> list[EventTarget]:
    """Every client-to-server event the Socket.IO server handles, with the keys it reads."""
    handlers = socketio.server.handlers["/"]
    targets = []
    for name in sorted(handlers):
        handler = handlers[name]
        keys: set[str] = set()
        for func in _helpers(inspect.unwrap(getattr(handler, "__wrapped__", handler))):
            try:
                source = inspect.getsource(func)
            except (OSError, TypeError):
                continue
            keys |= {k for where, k in _READ_KEY.findall(source) if where in {"data", "payload"}}
            keys |= set(re.findall(r"_int\(\s*\w+\s*,\s*[\"'](\w+)[\"']", source))
        targets.append(EventTarget(name, keys))
    return targets


# docs/api.md --------------------------------------------------------------------------------

_DOC_ENDPOINT = re.compile(r"`(?:(GET|POST|PUT|PATCH|DELETE)\s+)?((?:/|…/)(?:<[^>`]*>|[^`\s<])*)`")
_DOC_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)$")
_DOC_QUERY_KEY = re.compile(r"[?&]([A-Za-z_]\w*)=")


@dataclass(frozen=True)
class DocEndpoint:
    """An endpoint docs/api.md names: method (None when it only names the path), path
    pattern, the query keys it documents, and the line it came from."""

    method: str | None
    path: str
    query_keys: frozenset[str]
    line: int
    body_keys: frozenset[str] = frozenset()  # "body as `send_message`": that event's keys


@dataclass(frozen=True)
class DocEvent:
    """A client-to-server event of docs/api.md and the payload keys it documents."""

    name: str
    keys: frozenset[str]
    line: int


def _resolve_ellipsis(path: str, previous: str | None) -> str:
    """`…/messages?before=<id>` continues the path written on a line above."""
    if not path.startswith("…") or previous is None:
        return path
    tail = path[1:]
    first = tail.split("?")[0].split("/")[1]
    cut = previous.rfind("/" + first)
    return (previous[:cut] if cut >= 0 else previous) + tail


def doc_endpoints(text: str | None = None) -> list[DocEndpoint]:
    """Every endpoint that docs/api.md names in backquotes (a method and its path may be
    split over two lines)."""
    text = API_DOC.read_text() if text is None else text
    found: list[DocEndpoint] = []
    previous: str | None = None
    event_keys = {event.name: event.keys for event in doc_events(text)}
    for match in _DOC_ENDPOINT.finditer(text):
        method, raw = match.group(1), match.group(2).replace("\\|", "|")
        raw = _resolve_ellipsis(raw, previous)
        if not raw.startswith("/") or raw.startswith("//"):
            continue
        optional = "".join(re.findall(r"\[(\?[^\]]*)\]", raw))
        raw = re.sub(r"\[.*?\]", "", raw)
        path = raw.split("?")[0]
        query = ("?" + raw.split("?", 1)[1] if "?" in raw else "") + optional
        keys = frozenset(_DOC_QUERY_KEY.findall(query))
        line = text.count("\n", 0, match.start()) + 1
        rest = text[match.end() :].split("\n", 1)[0]
        body_as = re.search(r"body as `(\w+)`", rest)
        body = event_keys.get(body_as.group(1), frozenset()) if body_as else frozenset()
        found.append(DocEndpoint(method or None, path, keys, line, body))
        previous = path
    return found


def doc_events(text: str | None = None) -> list[DocEvent]:
    """Every client-to-server event of docs/api.md: the first column of a table whose
    header says `event` or `client → server`, without a dot (server events have one)."""
    text = API_DOC.read_text() if text is None else text
    found: list[DocEvent] = []
    in_table = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith("|"):
            in_table = False
            continue
        header = stripped.lower()
        if header.startswith("| event ") or header.startswith("| client → server"):
            in_table = True
            continue
        if not in_table:
            continue
        row = _DOC_ROW.match(stripped)
        if not row or "." in row.group(1) or " " in row.group(1):
            continue
        payload = row.group(2).split("|")[0] if "`" not in row.group(2) else row.group(2)
        payload_code = re.search(r"`(\{.*?\})`", payload)
        keys = frozenset(_top_level_keys(payload_code.group(1)) if payload_code else ())
        found.append(DocEvent(row.group(1), keys, number))
    return found


def _top_level_keys(obj: str) -> Iterable[str]:
    """The keys of `{a, b: "x"|"y", c?}` at the outer level."""
    inner = obj.strip()[1:-1]
    depth, part, parts = 0, "", []
    for char in inner:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += char
    parts.append(part)
    for item in parts:
        match = re.match(r"\s*\"?([A-Za-z_]\w*)", item)
        if match:
            yield match.group(1)


def doc_words(text: str | None = None) -> set[str]:
    """Every backquoted word of docs/api.md: tile keys, figure keys, kinds, emoji codes."""
    text = API_DOC.read_text() if text is None else text
    return {w for w in re.findall(r"`([A-Za-z][\w.-]{0,40})`", text)}


def pattern_of(path: str) -> str:
    """A rule or documented path with every placeholder written the same way."""
    return re.sub(r"<[^>]*>", "<>", path)


# Matching the docs to the app -----------------------------------------------------------------

_NUMERIC_CONVERTERS = {"id", "bigid", "integer"}


def _rule_regex(target: RouteTarget) -> re.Pattern[str]:
    pattern, last = "", 0
    for match in re.finditer(r"<(?:([^:<>]+):)?([^<>]+)>", target.rule):
        pattern += re.escape(target.rule[last : match.start()])
        numeric = target.arguments.get(match.group(2)) in _NUMERIC_CONVERTERS
        pattern += r"\d+" if numeric else r"[^/]+"
        last = match.end()
    return re.compile(pattern + re.escape(target.rule[last:]))


def doc_covered_by(doc: DocEndpoint, target: RouteTarget) -> bool:
    """The documented endpoint is this rule and method (any method when the docs name none)."""
    concrete = re.sub(r"<[^>]*>", "1", doc.path)
    method_ok = doc.method is None or doc.method == target.method
    return method_ok and _rule_regex(target).fullmatch(concrete) is not None


def with_docs(targets: list[RouteTarget], docs: list[DocEndpoint]) -> list[RouteTarget]:
    """The targets, each also fuzzing the query keys the docs give its endpoint."""
    for doc in docs:
        for target in targets:
            if doc_covered_by(doc, target):
                target.query_keys |= set(doc.query_keys)
                target.json_keys |= set(doc.body_keys)
    return targets


def events_with_docs(targets: list[EventTarget], docs: list[DocEvent]) -> list[EventTarget]:
    """The events, each also fuzzing the payload keys the docs give it."""
    by_name = {t.name: t for t in targets}
    for doc in docs:
        if doc.name in by_name:
            by_name[doc.name].keys |= set(doc.keys)
    return targets


_DISCOVERY: dict[str, Any] = {}


def discovered() -> tuple[list[RouteTarget], list[EventTarget]]:
    """The targets of an app made only to be read (no database is opened), once per process."""
    if not _DISCOVERY:
        from portal.extensions import socketio
        from portal.factory import create_app

        previous = getattr(socketio, "server", None)
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        _DISCOVERY["routes"] = with_docs(route_targets(app), doc_endpoints())
        _DISCOVERY["events"] = events_with_docs(event_targets(socketio), doc_events())
        if previous is not None:
            socketio.server = previous
    return _DISCOVERY["routes"], _DISCOVERY["events"]
