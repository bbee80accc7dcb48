"""Running a job "as far as each engine gets" (``skip_larger_after_give_out``).

Tasks are grouped into *series*: one function, engine and quantity over its
sizes.  Within a series a task waits until every smaller task (at most as
large in every dim, smaller in one) has a result, so the small sizes run
first.  When a task gives out (``timeout`` or ``oom``), every task of its
series at least as large in every dim would give out too, only later and at
the price of a whole time limit each: those are never sent, and are stored
``skipped`` with the give-out named in the message.  Nothing is silently
missing: every planned task still ends with a result.
"""
from __future__ import annotations

from .plan import size_label
from .records import make_record, now

GIVE_OUT = ("timeout", "oom")


def series(task: dict) -> str:
    """The task's key without its sizes: function | engine | quantity."""
    return task["key"].rsplit("|", 1)[0]


def at_most(small: dict, large: dict) -> bool:
    """Every dim of ``small`` is at most that of ``large``."""
    return all(large.get(dim, value) >= value for dim, value in small.items())


def skipped_record(task: dict, run_id: str, gave_out: dict) -> dict:
    """The result of a task never sent: the smaller task that gave out, and how."""
    message = f"gave out at {size_label(gave_out['sizes'])}: {gave_out['status']}"
    fields = {"status": "skipped", "message": message,
              "stats": {"gave_out": {"task_key": gave_out["task_key"], "status": gave_out["status"]}}}
    return make_record(task, run_id, fields, {}, 0, now())


class Frontier:
    """Which tasks may be sent now, and which are to be skipped.

    ``tasks`` are the tasks still to run; ``done`` the records a run already
    holds (a resumed run's give-outs keep their larger tasks skipped).  Only
    the series a result touched are looked at again, so a result costs work
    in its own series, not in the whole plan.
    """

    def __init__(self, tasks: list[dict], done: list[dict], order):
        self.rank = {id(task): order(task) for task in tasks}  # the order ready tasks are sent in
        self.waiting: dict[str, list[dict]] = {}
        for task in tasks:
            self.waiting.setdefault(series(task), []).append(task)
        self.running: dict[str, list[dict]] = {name: [] for name in self.waiting}
        self.gave_out: dict[str, list[dict]] = {}
        self.ready: dict[str, list[dict]] = {}
        self.touched = set(self.waiting)
        for record in done:
            self._note(record)

    def finished(self, task: dict, record: dict) -> None:
        """``task`` has its result ``record``."""
        name = series(task)
        self.running[name] = [t for t in self.running[name] if t is not task]
        self.touched.add(name)
        self._note(record)

    def skips(self, run_id: str) -> list[dict]:
        """Records for the waiting tasks a give-out now covers (taken off the wait)."""
        out = []
        for name in self.touched & self.gave_out.keys():
            for task in list(self.waiting.get(name, [])):
                cause = next((g for g in self.gave_out[name] if at_most(g["sizes"], task["sizes"])), None)
                if cause is not None:
                    self.waiting[name].remove(task)
                    out.append(skipped_record(task, run_id, cause))
        return out

    def take(self, limit: int) -> list[dict]:
        """Up to ``limit`` ready tasks, in order, now counted as running."""
        for name in self.touched & self.waiting.keys():
            self.ready[name] = [t for t in self.waiting[name] if self._ready(name, t)]
        self.touched.clear()
        chosen = sorted((t for tasks in self.ready.values() for t in tasks), key=lambda t: self.rank[id(t)])
        for task in chosen[:max(limit, 0)]:
            name = series(task)
            self.waiting[name].remove(task)
            self.ready[name].remove(task)
            self.running[name].append(task)
            self.touched.add(name)
        return chosen[:max(limit, 0)]

    def empty(self) -> bool:
        return not any(self.waiting.values())

    def _note(self, record: dict) -> None:
        if record["status"] in GIVE_OUT:
            name = record["task_key"].rsplit("|", 1)[0]
            self.gave_out.setdefault(name, []).append(record)
            self.touched.add(name)

    def _ready(self, name: str, task: dict) -> bool:
        """No smaller task of its series still waits or runs."""
        others = self.waiting[name] + self.running[name]
        return not any(o is not task and at_most(o["sizes"], task["sizes"]) for o in others)
