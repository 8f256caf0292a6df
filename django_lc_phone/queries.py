"""One-row reads on the sign-in path whose SQL is compiled once, not on every request.

A returning user's sign-in reads one row: the profile with its user and DRF token joined
(``models.profiles_with_user``). Django compiles that queryset to SQL again on every call,
which costs more than PostgreSQL takes to answer it (about 0.35 ms of a 1.2 ms read here,
``bench/results.md``). :class:`OneRow` compiles it once per thread and database connection and
then only executes it, building the instances the way ``QuerySet`` does (the same converters
and related populators), so callers get exactly what ``.filter(...).first()`` would give them.

It is meant for the hot path only: a lookup of one row by one column, equality, no ordering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# A value no lookup ever passes: where it lands in the compiled parameters is where a real
# value goes. It must survive the field's own preparation unchanged (a string does, for the
# character columns this is used on).
_PLACEHOLDER = "\x00lc-phone-placeholder\x00"


@dataclass(frozen=True)
class _Compiled:
    """A compiled lookup for one connection: its SQL, where its value goes, how rows map."""

    connection: BaseDatabaseWrapper
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    slot: int
    model: type[Any]
    init_list: list[str]
    model_slice: slice
    populators: list[Any]
    # Django 6.1's fetch mode, passed on as QuerySet passes it; empty before 6.1.
    fetch_mode: dict[str, Any]


class OneRow(Generic[M]):
    """``queryset().filter(<field>=value)[:1]``, compiled once per thread and connection.

    ``queryset`` builds the base queryset (select_related and all); ``field`` is the column
    looked up; ``extra`` are further fixed filters (``lc_object_id__isnull=True``, say).
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]], field: str, **extra: Any) -> None:
        self._queryset = queryset
        self._field = field
        self._extra = extra
        self._local = threading.local()

    def get(self, value: str, *, using: str | None = None) -> M | None:
        """The row whose ``field`` equals ``value``, or None, read from ``using`` (by default
        the database the routers give reads of the model, as a queryset would). ``value``
        goes to the database as given: the column's stored form (an objectId, an E.164
        number), as the field's own preparation would leave a string for a character column."""
        if using is None:
            using = router.db_for_read(self._model())
        compiled = self._compiled(using)
        params = list(compiled.params)
        params[compiled.slot] = value
        with compiled.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchmany(1)
        for row in compiled.compiler.results_iter(results=[rows]):
            values = row[compiled.model_slice]
            obj: M = compiled.model.from_db(
                using, compiled.init_list, values, **compiled.fetch_mode
            )
            for populator in compiled.populators:
                populator.populate(row, obj)
            return obj
        return None

    def _model(self) -> type[M]:
        """The model read (from the queryset, built once: not at import, before apps load)."""
        model: type[M] | None = self.__dict__.get("_read_model")
        if model is None:
            model = self.__dict__["_read_model"] = self._queryset().model
        return model

    def _compiled(self, using: str) -> _Compiled:
        connection = connections[using]
        cache: dict[str, _Compiled] = self._local.__dict__.setdefault("compiled", {})
        compiled = cache.get(using)
        # Another wrapper (a test that swapped the connections, say): compile anew for it.
        if compiled is None or compiled.connection is not connection:
            compiled = cache[using] = self._compile(using, connection)
        return compiled

    def _compile(self, using: str, connection: BaseDatabaseWrapper) -> _Compiled:
        lookup = {self._field: _PLACEHOLDER, **self._extra}
        queryset = self._queryset().using(using).filter(**lookup)[:1]
        compiler = queryset.query.get_compiler(using=using, connection=connection)
        sql, params = compiler.as_sql()
        slots = [i for i, param in enumerate(params) if param == _PLACEHOLDER]
        if len(slots) != 1:  # the field transformed the value: this lookup cannot be cached
            raise ValueError(f"cannot compile a one-row lookup on {self._field!r}")
        klass_info = compiler.klass_info
        if klass_info is None:
            raise ValueError("a one-row lookup must select model instances")
        fields = klass_info["select_fields"]
        model_slice = slice(fields[0], fields[-1] + 1)
        init_list = [column[0].target.attname for column in compiler.select[model_slice]]
        mode = getattr(queryset, "_fetch_mode", None)  # Django 6.1 and later
        fetch_mode = {} if mode is None else {"fetch_mode": mode}
        populators: Callable[..., list[Any]] = get_related_populators
        return _Compiled(
            connection=connection,
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            model=klass_info["model"],
            init_list=init_list,
            model_slice=model_slice,
            populators=populators(klass_info, compiler.select, using, *fetch_mode.values()),
            fetch_mode=fetch_mode,
        )
