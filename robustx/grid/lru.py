"""A tiny LRU map for what a worker keeps between shards (models, loaded languages, attacks)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    def __init__(self, capacity: int, on_evict: Callable[[V], None] | None = None) -> None:
        self.capacity = max(1, capacity)
        self.on_evict = on_evict
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], V]) -> tuple[V, bool]:
        """The value for ``key`` and whether it was made now (evicting the oldest beyond capacity)."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key], False
        while len(self._items) >= self.capacity:
            _, old = self._items.popitem(last=False)
            if self.on_evict is not None:
                self.on_evict(old)
        value = make()
        self._items[key] = value
        return value, True

    def __len__(self) -> int:
        return len(self._items)
