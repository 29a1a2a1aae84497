"""Recent answers, so a question asked again (an example question, a retry, a popular topic)
costs no second search.

Extractive answering is deterministic for one index generation, so an answer is keyed by the
generation, the question, its history and whether urgency was judged; a new generation makes
every older entry unreachable, and the least recently used ones are dropped first.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class AnswerCache(Generic[T]):
    def __init__(self, size: int = 512):
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        """A copy of the cached answer (callers may change what they get), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
        return copy.deepcopy(item)

    def put(self, key: Hashable, item: T) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = copy.deepcopy(item)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
