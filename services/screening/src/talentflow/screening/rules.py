"""The screening rule language: parsed by a tokenizer and a recursive-descent parser, never eval'd.

    rule       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" rule ")" | condition
    condition  := METRIC OPERATOR NUMBER          e.g.  communication >= 85
    OPERATOR   := ">=" | ">" | "<=" | "<" | "==" | "!="

`not` binds tighter than `and`, which binds tighter than `or`. Keywords and metric names are
case-insensitive (metrics are compared in lower case). Metrics are competency names, count
names and `overall`. Positions in errors are 0-based character offsets into the expression.

Evaluation reports every condition (no short-circuit). A metric the result lacks gives that
condition `actual=None, held=False`; the rule as a whole uses three-valued logic, so a missing
value can never make a rule hold (`not (x > 1)` with no `x` does not hold either).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from talentflow.common.events import ConditionResult
from talentflow.screening.metrics import is_prohibited_metric

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
OPERATORS = tuple(_COMPARE)
KEYWORDS = frozenset({"and", "or", "not"})
MAX_LENGTH = 2000
MAX_DEPTH = 32

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR_CHARS = frozenset("<>=!")
_WORD = re.compile(r"[^\s()]+")


class RuleError(ValueError):
    """A rule that cannot be used; `position` is the 0-based offset of the fault."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.reason = message
        self.position = position


class RuleSyntaxError(RuleError):
    """The expression is not in the rule language."""


class ProhibitedMetricError(RuleError):
    """The expression uses a metric that the EU AI Act bans from screening."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "metric", "keyword", "operator", "number", "(", ")", "end"
    text: str
    position: int

    def describe(self) -> str:
        return "the end of the rule" if self.kind == "end" else f"'{self.text}'"


def tokenize(expression: str) -> list[Token]:
    """Split an expression into tokens, ending with an "end" token."""
    tokens: list[Token] = []
    i, n = 0, len(expression)
    while i < n:
        char = expression[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(Token(char, char, i))
            i += 1
        elif char in _OPERATOR_CHARS:
            j = i
            while j < n and expression[j] in _OPERATOR_CHARS:
                j += 1
            op = expression[i:j]
            if op not in OPERATORS:
                hint = "; did you mean '=='?" if op == "=" else ""
                raise RuleSyntaxError(
                    f"unknown operator '{op}', use one of {', '.join(OPERATORS)}{hint}", i
                )
            tokens.append(Token("operator", op, i))
            i = j
        elif (match := _NUMBER.match(expression, i)) is not None:
            end = match.end()
            if end < n and (expression[end].isalnum() or expression[end] in "._"):
                bad = _WORD.match(expression, i)
                raise RuleSyntaxError(f"invalid number '{bad.group() if bad else ''}'", i)
            tokens.append(Token("number", match.group(), i))
            i = end
        elif (match := _NAME.match(expression, i)) is not None:
            word = match.group().lower()
            tokens.append(Token("keyword" if word in KEYWORDS else "metric", word, i))
            i = match.end()
        else:
            raise RuleSyntaxError(f"unexpected character '{char}'", i)
    tokens.append(Token("end", "", n))
    return tokens


@dataclass(frozen=True, slots=True)
class Condition:
    metric: str
    operator: str
    threshold: float
    position: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Node, ...]


Node = Condition | Not | And | Or


class _Parser:
    def __init__(self, expression: str) -> None:
        self.tokens = tokenize(expression)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, word: str) -> bool:
        return self.current.kind == "keyword" and self.current.text == word

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise RuleSyntaxError("the rule is empty", 0)
        node = self.or_expr()
        if self.current.kind != "end":
            raise RuleSyntaxError(
                f"unexpected {self.current.describe()}; expected 'and', 'or' "
                "or the end of the rule",
                self.current.position,
            )
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Node:
        token = self.current
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleSyntaxError(f"the rule nests more than {MAX_DEPTH} levels", token.position)
        try:
            if self.at_keyword("not"):
                self.advance()
                return Not(self.not_expr())
            if token.kind == "(":
                self.advance()
                node = self.or_expr()
                if self.current.kind != ")":
                    raise RuleSyntaxError(
                        f"expected ')' to close the '(' at position {token.position}, "
                        f"found {self.current.describe()}",
                        self.current.position,
                    )
                self.advance()
                return node
            return self.condition()
        finally:
            self.depth -= 1

    def condition(self) -> Condition:
        metric = self.advance()
        if metric.kind != "metric":
            raise RuleSyntaxError(
                f"expected a condition such as 'communication >= 80', found {metric.describe()}",
                metric.position,
            )
        op = self.advance()
        if op.kind != "operator":
            raise RuleSyntaxError(
                f"expected a comparison operator ({', '.join(OPERATORS)}) after "
                f"'{metric.text}', found {op.describe()}",
                op.position,
            )
        number = self.advance()
        if number.kind != "number":
            raise RuleSyntaxError(
                f"expected a number after '{metric.text} {op.text}', found {number.describe()}",
                number.position,
            )
        threshold = float(number.text)
        if not math.isfinite(threshold):  # hundreds of digits: no score or count reaches it
            raise RuleSyntaxError(
                f"the number after '{metric.text} {op.text}' is too large", number.position
            )
        return Condition(metric.text, op.text, threshold, metric.position)


@dataclass(frozen=True, slots=True)
class Evaluation:
    holds: bool
    conditions: tuple[ConditionResult, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: its source text and syntax tree."""

    expression: str
    root: Node

    def conditions(self) -> list[Condition]:
        """Every leaf condition, left to right."""
        found: list[Condition] = []
        _collect(self.root, found)
        return found

    def evaluate(self, metrics: Mapping[str, float]) -> Evaluation:
        """Evaluate against a result's metrics (names in lower case)."""
        results: list[ConditionResult] = []
        value = _evaluate(self.root, metrics, results)
        return Evaluation(holds=value is True, conditions=tuple(results))


def _collect(node: Node, found: list[Condition]) -> None:
    if isinstance(node, Condition):
        found.append(node)
    elif isinstance(node, Not):
        _collect(node.operand, found)
    else:
        for operand in node.operands:
            _collect(operand, found)


def _evaluate(node: Node, metrics: Mapping[str, float], out: list[ConditionResult]) -> bool | None:
    """Kleene logic: None means unknown (a metric is missing)."""
    if isinstance(node, Condition):
        raw = metrics.get(node.metric)
        actual = None if raw is None else float(raw)
        held = actual is not None and _COMPARE[node.operator](actual, node.threshold)
        out.append(
            ConditionResult(
                metric=node.metric,
                operator=node.operator,
                threshold=node.threshold,
                actual=actual,
                held=held,
            )
        )
        return None if actual is None else held
    if isinstance(node, Not):
        inner = _evaluate(node.operand, metrics, out)
        return None if inner is None else not inner
    values = [_evaluate(operand, metrics, out) for operand in node.operands]
    decisive = isinstance(node, Or)  # True decides an "or", False decides an "and"
    if decisive in values:
        return decisive
    return None if None in values else not decisive


def parse(expression: str) -> Rule:
    """Parse an expression; RuleSyntaxError with the position when it is not valid."""
    if len(expression) > MAX_LENGTH:
        raise RuleSyntaxError(f"the rule is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    return Rule(expression, _Parser(expression).parse())


def compile_rule(expression: str) -> Rule:
    """Parse an expression and refuse prohibited (emotion-inference) metrics."""
    rule = parse(expression)
    for condition in rule.conditions():
        if is_prohibited_metric(condition.metric):
            raise ProhibitedMetricError(
                f"'{condition.metric}' is a facial, voice or emotion metric and may not be used "
                "in screening (EU AI Act Art. 5(1)(f))",
                condition.position,
            )
    return rule
