"""Uncertain model inputs: [min, mode, max] distributions, the base case and seeded joint draws.

Each input draws from its own random stream, keyed by the seed and the input's name, so making
one more input uncertain (or adding a new one) leaves every other input's draws unchanged."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lib.finance import Value

DISTRIBUTIONS = ("triangular", "uniform")


@dataclass(frozen=True)
class Uncertain:
    """An input drawn from a distribution on [low, high] with its most likely value `mode`.

    `kind` "triangular" (min, mode, max) or "uniform" (min, max; the mode is then only the base
    case). low == high is a fixed value."""

    name: str
    low: float
    mode: float
    high: float
    kind: str = "triangular"

    def __post_init__(self) -> None:
        if self.kind not in DISTRIBUTIONS:
            raise ValueError(
                f"{self.name}: unknown distribution {self.kind!r}; "
                f"expected one of {', '.join(DISTRIBUTIONS)}"
            )
        values = (self.low, self.mode, self.high)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ValueError(f"{self.name}: min, mode and max must be finite numbers, got {values}")
        if self.low > self.high:
            raise ValueError(
                f"{self.name}: min {self.low:g} is above max {self.high:g}; "
                "expected [min, mode, max] with min <= mode <= max"
            )
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"{self.name}: mode {self.mode:g} is outside [min {self.low:g}, max {self.high:g}]; "
                "expected [min, mode, max] with min <= mode <= max"
            )

    @classmethod
    def fixed(cls, name: str, value: float) -> Uncertain:
        return cls(name, float(value), float(value), float(value))

    @classmethod
    def from_parameter(cls, name: str, value: float | list[float], kind: str) -> Uncertain:
        """A notebook parameter: a number (fixed) or [min, mode, max]."""
        if isinstance(value, list | tuple):
            if len(value) != 3:
                raise ValueError(
                    f"{name}: expected [min, mode, max] (3 numbers), got {len(value)}: {value!r}"
                )
            return cls(name, *(float(v) for v in value), kind=kind)
        return cls.fixed(name, value)

    @property
    def is_fixed(self) -> bool:
        return self.low == self.high

    def quantile(self, u: Value) -> Value:
        """Inverse CDF at probabilities `u` in [0, 1] (vectorized)."""
        u = np.asarray(u, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if self.is_fixed:
            return np.full(u.shape, a) if u.ndim else a
        if self.kind == "uniform":
            return a + u * (b - a)
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        x = np.where(u < split, left, right)
        return float(x) if x.ndim == 0 else x


Scenario = Mapping[str, "Uncertain | str"]


def uncertain_names(scenario: Scenario) -> list[str]:
    """Inputs that vary between draws, sorted."""
    return sorted(k for k, v in scenario.items() if isinstance(v, Uncertain) and not v.is_fixed)


def base_values(scenario: Scenario) -> dict[str, float | str]:
    """The base case: every uncertain input at its mode; text inputs as they are."""
    return {k: v.mode if isinstance(v, Uncertain) else v for k, v in scenario.items()}


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one input: the same seed and name give the same draws, whatever
    else the scenario holds."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def sample(scenario: Scenario, n: int, seed: int) -> dict[str, Value | str]:
    """`n` joint draws of the uncertain inputs (independent), seeded; fixed inputs stay scalars."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n_sims must be a whole number >= 1, got {n!r}")
    values: dict[str, Value | str] = base_values(scenario)
    for name in uncertain_names(scenario):
        values[name] = scenario[name].quantile(stream(seed, name).random(n))
    return values
