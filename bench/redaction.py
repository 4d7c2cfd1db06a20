"""How the redaction of a container's log line grows with the line's length (handler/log_redact.py).

A CloudWatch Logs event may be 256 KB ("CloudWatch Logs quotas", CloudWatch Logs User Guide), and the function
redacts each of a stopped task's last lines before it cuts them for the message. Patterns that backtrack take time
quadratic in a run of the characters they start with, seconds for one long line; linear ones take the same time per
character at every length. Measured as that time per character, a long line's over a short one's, for each shape of
line that would make a backtracking pattern slow, both lengths interleaved in each round.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from handler.log_redact import redact_line

SHORT, LONG = 1024, 64 * 1024
# Lines that are long runs of what the patterns start with: word characters, a secret's name over and over, the
# characters of a URL's scheme, an unterminated URL or pair; an ordinary line of words.
SHAPES: dict[str, Callable[[int], str]] = {
    "word characters": lambda size: "x" * size,
    "a secret's name, repeated": lambda size: "token" * (size // 5),
    "scheme characters": lambda size: "a." * (size // 2),
    "a URL without its @": lambda size: "postgres://user:" + "p" * size,
    "a pair without its end": lambda size: 'password="' + "v" * size,
    "words": lambda size: "GET /orders 200 12ms user=42 " * (size // 29),
    # A JSON line's "command" goes through the override rules (handler/redact.py): flags after dots, and flags.
    "a JSON line's command, dotted flags": lambda size: json.dumps({"command": ".-a" * (size // 3)}),
    "a JSON line's command, flags": lambda size: json.dumps({"command": "--token" * (size // 7)}),
}


def seconds_per_character(line: str, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        redact_line(line)
    return (time.perf_counter() - start) / repeat / len(line)


def measure(rounds: int) -> dict[str, float]:
    """For each shape: the median, over ``rounds``, of a long line's time per character over a short one's."""
    ratios: dict[str, float] = {}
    for shape, make in SHAPES.items():
        short, long = make(SHORT), make(LONG)
        samples = []
        for _ in range(rounds):
            short_cost = seconds_per_character(short, 64)
            long_cost = seconds_per_character(long, 1)
            samples.append(long_cost / short_cost)
        ratios[shape] = statistics.median(samples)
    return ratios
