"""The ConnectWise ``conditions`` language: tokenizer, parser, field checks and evaluation.

Grammar (keywords case-insensitive)::

    expression := term ("OR" term)*
    term       := factor ("AND" factor)*
    factor     := "NOT" factor | "(" expression ")" | comparison
    comparison := field ["NOT"] operator value
    operator   := "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "like" | "in"
    value      := "string" | number | True | False | null | [datetime] | "(" literal ("," literal)* ")"
    field      := name ("/" name)*            e.g. company/id, status/name, _info/lastUpdated

``NOT`` may stand before ``like``, ``contains`` and ``in`` (``name not like "A*"``) or before any
factor (``NOT (status/id = 1 OR status/id = 2)``). Strings are double-quoted with ``\\"`` and ``\\\\``
escapes and compare case-insensitively, as ConnectWise's SQL collation does; ``like`` takes ``*`` (or
``%``) wildcards; ``contains`` is a substring test. Comparisons with a missing (null) field are
*unknown* and never match, except ``= null`` / ``!= null``; ``NOT`` of unknown stays unknown (SQL logic).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .records import parse_datetime
from .schema import FieldSchema, Path, resolve, split_path

Truth = bool | None
ValueKind = Literal["str", "number", "bool", "datetime", "null", "list"]

_COMPARISON_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
_WORD_OPERATORS = ("like", "contains", "in")
_KEYWORDS = frozenset({"and", "or", "not", "like", "contains", "in", "true", "false", "null"})


class ConditionError(ValueError):
    """A malformed condition; ``str()`` is the message ConnectWise-style 400s carry."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.position = position
        where = f" (at position {position + 1})" if position is not None else ""
        super().__init__(f"{message}{where}")


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is a keyword, ``field``, ``str``, ``number``, ``datetime`` or punctuation."""

    kind: str
    text: str
    position: int
    value: Any = None


@dataclass(frozen=True)
class Value:
    """A literal on the right of an operator."""

    kind: ValueKind
    value: Any
    text: str


@dataclass(frozen=True)
class Comparison:
    """``field [not] operator value``."""

    path: Path
    operator: str
    negated: bool
    value: Value
    position: int


@dataclass(frozen=True)
class Junction:
    """``AND`` / ``OR`` of two or more parts."""

    operator: Literal["and", "or"]
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    """``NOT factor``."""

    part: Node


Node = Comparison | Junction | Negation

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; raises :class:`ConditionError` on a character that starts none."""
    tokens: list[Token] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char == '"':
            index = _read_string(text, index, tokens)
        elif char == "[":
            end = text.find("]", index)
            if end < 0:
                raise ConditionError("Unterminated datetime: missing ']'", index)
            raw = text[index + 1 : end]
            moment = parse_datetime(raw)
            if moment is None or ("T" not in raw.upper() and len(raw.strip()) != 10):
                raise ConditionError(f"Invalid datetime [{raw}]; use [2026-02-20T18:04:26Z]", index)
            tokens.append(Token("datetime", text[index : end + 1], index, moment))
            index = end + 1
        elif char in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[char]
            tokens.append(Token(kind, char, index))
            index += 1
        elif char in "=!<>":
            two = text[index : index + 2]
            if two in ("!=", "<=", ">="):
                tokens.append(Token("operator", two, index))
                index += 2
            elif char == "!":
                raise ConditionError("Unexpected '!': did you mean '!='?", index)
            elif two == "<>":
                raise ConditionError("Unsupported operator '<>': use '!='", index)
            else:
                tokens.append(Token("operator", char, index))
                index += 1
        elif char == "-" or char.isdigit():
            match = _NUMBER.match(text, index)
            if match is None:
                raise ConditionError(f"Unexpected character {char!r}", index)
            raw = match.group()
            tokens.append(Token("number", raw, index, float(raw) if "." in raw else int(raw)))
            index = match.end()
            if index < length and (text[index].isalpha() or text[index] == "_"):
                raise ConditionError(f"Invalid number starting {raw!r}", match.start())
        else:
            match = _WORD.match(text, index)
            if match is None:
                raise ConditionError(f"Unexpected character {char!r}", index)
            word = match.group()
            lowered = word.lower()
            kind = lowered if lowered in _KEYWORDS else "field"
            tokens.append(Token(kind, word, index))
            index = match.end()
    return tokens


def _read_string(text: str, start: int, tokens: list[Token]) -> int:
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            tokens.append(Token("str", text[start : index + 1], start, "".join(chars)))
            return index + 1
        else:
            chars.append(char)
            index += 1
    raise ConditionError("Unterminated string: missing closing '\"'", start)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.length = len(text)

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ConditionError("Unexpected end of conditions", self.length)
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionError("Empty conditions")
        node = self.expression()
        extra = self.peek()
        if extra is not None:
            raise ConditionError(f"Unexpected {extra.text!r}; expected AND, OR or the end", extra.position)
        return node

    def expression(self) -> Node:
        parts = [self.term()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.index += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while (token := self.peek()) is not None and token.kind == "and":
            self.index += 1
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def factor(self) -> Node:
        token = self.take()
        if token.kind == "not":
            return Negation(self.factor())
        if token.kind == "lparen":
            node = self.expression()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise ConditionError("Missing ')'", closing.position if closing else self.length)
            self.index += 1
            return node
        if token.kind != "field":
            raise ConditionError(f"Expected a field name, found {token.text!r}", token.position)
        return self.comparison(token)

    def comparison(self, field_token: Token) -> Comparison:
        negated = False
        operator_token = self.take()
        if operator_token.kind == "not":
            negated = True
            operator_token = self.take()
            if operator_token.kind not in _WORD_OPERATORS:
                raise ConditionError(
                    f"'not' must be followed by like, contains or in, found {operator_token.text!r}",
                    operator_token.position,
                )
        if operator_token.kind == "operator":
            operator = operator_token.text
        elif operator_token.kind in _WORD_OPERATORS:
            operator = operator_token.kind
        else:
            raise ConditionError(
                f"Expected an operator after {field_token.text!r}, found {operator_token.text!r}",
                operator_token.position,
            )
        if operator == "in":
            value = self.value_list(operator_token)
        else:
            value = self.literal(operator_token)
        return Comparison(split_path(field_token.text), operator, negated, value, field_token.position)

    def value_list(self, operator_token: Token) -> Value:
        opening = self.take()
        if opening.kind != "lparen":
            raise ConditionError("'in' needs a parenthesised list such as (1,2)", opening.position)
        items = [self.literal(opening)]
        while True:
            token = self.take()
            if token.kind == "rparen":
                break
            if token.kind != "comma":
                raise ConditionError(f"Expected ',' or ')' in list, found {token.text!r}", token.position)
            items.append(self.literal(token))
        kinds = {item.kind for item in items}
        if "null" in kinds or len(kinds) > 1:
            raise ConditionError("An 'in' list needs values of one type and no null", opening.position)
        return Value("list", tuple(items), "(" + ",".join(item.text for item in items) + ")")

    def literal(self, after: Token) -> Value:
        token = self.peek()
        if token is None:
            raise ConditionError(f"Expected a value after {after.text!r}", self.length)
        self.index += 1
        if token.kind == "str":
            return Value("str", token.value, token.text)
        if token.kind == "number":
            return Value("number", token.value, token.text)
        if token.kind == "datetime":
            return Value("datetime", token.value, token.text)
        if token.kind in ("true", "false"):
            return Value("bool", token.kind == "true", token.text)
        if token.kind == "null":
            return Value("null", None, token.text)
        if token.kind == "field":
            raise ConditionError(
                f'Expected a value after {after.text!r}, found {token.text!r}: quote strings ("{token.text}")',
                token.position,
            )
        raise ConditionError(f"Expected a value after {after.text!r}, found {token.text!r}", token.position)


def parse(text: str) -> Node:
    """The syntax tree of ``text``; raises :class:`ConditionError` when malformed."""
    return _Parser(text).parse()


def _comparisons(node: Node) -> list[Comparison]:
    if isinstance(node, Comparison):
        return [node]
    if isinstance(node, Negation):
        return _comparisons(node.part)
    return [comparison for part in node.parts for comparison in _comparisons(part)]


def check(node: Node, schema: FieldSchema, *, child: bool = False) -> None:
    """Reject fields the records do not have and values of the wrong type for the field."""
    for comparison in _comparisons(node):
        _check_comparison(comparison, schema, child)


def _check_comparison(comparison: Comparison, schema: FieldSchema, child: bool) -> None:
    name = "/".join(comparison.path)
    kind = schema.kind(comparison.path)
    position = comparison.position
    if kind is None:
        raise ConditionError(f"Unknown field '{name}'", position)
    if kind in ("reference", "object"):
        raise ConditionError(f"'{name}' is an object: compare one of its fields, such as {name}/id", position)
    if kind == "list":
        raise ConditionError(f"'{name}' is a list: filter it with childConditions", position)
    if comparison.path in schema.under_list and not child:
        raise ConditionError(f"'{name}' is inside a list: filter it with childConditions", position)
    operator = comparison.operator
    value = comparison.value
    items = value.value if value.kind == "list" else (value,)
    if operator == "in" and value.kind != "list":
        raise ConditionError("'in' needs a parenthesised list", position)
    if value.kind == "null" and operator not in ("=", "!="):
        raise ConditionError("null can only be compared with = or !=", position)
    if operator in ("like", "contains") and value.kind != "str":
        raise ConditionError(f"'{operator}' needs a quoted string value", position)
    if kind == "unknown" or value.kind == "null":
        return
    for item in items:
        if item.kind != kind:
            expected = {
                "str": 'a quoted string ("text")',
                "number": "a bare number",
                "bool": "True or False",
                "datetime": "a datetime in brackets [2026-02-20T18:04:26Z]",
            }[kind]
            raise ConditionError(f"'{name}' needs {expected}, found {item.text}", position)
    if kind == "bool" and operator not in ("=", "!=", "in"):
        raise ConditionError(f"'{name}' is a boolean: use = or !=", position)


Predicate = Callable[[Mapping[str, Any]], bool]


def compile_conditions(text: str, schema: FieldSchema, *, child: bool = False) -> Predicate:
    """A predicate for records from ``text``, checked against ``schema``; raises :class:`ConditionError`."""
    node = parse(text)
    check(node, schema, child=child)
    return lambda record: evaluate(node, record) is True


def evaluate(node: Node, record: Mapping[str, Any]) -> Truth:
    """Three-valued (SQL) truth of ``node`` for ``record``: ``True``, ``False`` or unknown (``None``)."""
    if isinstance(node, Comparison):
        return _evaluate_comparison(node, record)
    if isinstance(node, Negation):
        inner = evaluate(node.part, record)
        return None if inner is None else not inner
    results = [evaluate(part, record) for part in node.parts]
    if node.operator == "and":
        if any(result is False for result in results):
            return False
        return None if any(result is None for result in results) else True
    if any(result is True for result in results):
        return True
    return None if any(result is None for result in results) else False


def _evaluate_comparison(comparison: Comparison, record: Mapping[str, Any]) -> Truth:
    outcome: Truth = False
    for stored in resolve(record, comparison.path):
        result = _compare(stored, comparison.operator, comparison.value)
        if comparison.negated and result is not None:
            result = not result
        if result is True:
            return True
        if result is None:
            outcome = None if outcome is not True else outcome
    return outcome


def _compare(stored: Any, operator: str, value: Value) -> Truth:
    if value.kind == "null":
        return (stored is None) if operator == "=" else (stored is not None)
    if stored is None:
        return None
    if operator == "in":
        results = [_compare(stored, "=", item) for item in value.value]
        if any(result is True for result in results):
            return True
        return None if any(result is None for result in results) else False
    left, right = _coerce(stored, value)
    if left is None or right is None:
        return None
    if operator == "contains":
        return right in left
    if operator == "like":
        return _like_pattern(right).fullmatch(left) is not None
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    try:
        if operator == "<":
            return left < right
        if operator == "<=":
            return left <= right
        if operator == ">":
            return left > right
        return left >= right
    except TypeError:
        return None


def _coerce(stored: Any, value: Value) -> tuple[Any, Any]:
    if value.kind == "str":
        return (stored.casefold(), value.value.casefold()) if isinstance(stored, str) else (None, None)
    if value.kind == "number":
        if isinstance(stored, bool) or not isinstance(stored, int | float):
            return None, None
        return stored, value.value
    if value.kind == "bool":
        return (stored, value.value) if isinstance(stored, bool) else (None, None)
    if value.kind == "datetime":
        moment: datetime | None = parse_datetime(stored) if isinstance(stored, str) else None
        return (moment, value.value) if moment is not None else (None, None)
    return None, None


_LIKE_CACHE: dict[str, re.Pattern[str]] = {}


def _like_pattern(pattern: str) -> re.Pattern[str]:
    compiled = _LIKE_CACHE.get(pattern)
    if compiled is None:
        parts = re.split(r"[*%]", pattern)
        compiled = re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)
        _LIKE_CACHE[pattern] = compiled
    return compiled
