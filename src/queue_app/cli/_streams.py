"""`events`, `dispositions` and `dead-letters`: what the service's output streams hold, one
line per entry (or one JSON object per line), and with `--follow` each new entry as it comes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

import click

from queue_adapters.redis import RedisKeys, connect
from queue_app.cli._shared import REDIS_SETTINGS_HELP, run_until_interrupted, settings
from queue_app.stream_tail import Entry, StreamTail
from queue_core.domain.disposition import iso_utc

__all__ = ["dead_letters", "dispositions", "events"]

Format = Callable[[Entry], str]


def _value(text: str) -> str:
    return (
        json.dumps(text, ensure_ascii=False) if not text or any(c.isspace() for c in text) else text
    )


def _line(fields: Mapping[str, str], lead: Sequence[str]) -> str:
    """The `lead` fields' values, then every other non-empty field as `name=value`."""
    head = [fields.get(name, "") or "-" for name in lead]
    rest = [f"{k}={_value(v)}" for k, v in fields.items() if k not in lead and v != ""]
    return "  ".join([*head, *rest])


def _event(entry: Entry) -> str:
    return _line(entry[1], ("at", "event", "campaign_execution_id"))


def _disposition(entry: Entry) -> str:
    return _line(entry[1], ("ended_at", "campaign_execution_id", "record_id", "status"))


def _dead_letter(entry: Entry) -> str:
    entry_id, fields = entry
    # When it was rejected: the entry id's milliseconds, as Redis stamped it.
    rejected_at = iso_utc(int(entry_id.split("-")[0]) / 1000)
    rest = {k: v for k, v in fields.items() if k != "error"}
    return _line({"at": rejected_at, "error": fields.get("error", ""), **rest}, ("at",))


def _json(entry: Entry) -> str:
    return json.dumps({"entry_id": entry[0], "fields": entry[1]}, ensure_ascii=False)


def _tail(
    stream: Callable[[RedisKeys], str],
    match: Callable[[Mapping[str, str]], bool],
    text: Format,
    *,
    as_json: bool,
    follow: bool,
    last: int | None,
) -> None:
    current = settings()
    show = _json if as_json else text

    async def read() -> None:
        redis = await connect(current.redis.url)
        try:
            tail = StreamTail(redis, stream(current.redis_keys), match=match)
            held, newest = await tail.held(last)
            for entry in held:
                click.echo(show(entry))
            if follow:
                async for entry in tail.follow(newest):
                    click.echo(show(entry))
        finally:
            await redis.aclose()

    run_until_interrupted(read, current.redis.url)


def _options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--last",
        type=click.IntRange(min=1),
        default=None,
        help="Only the last N entries the stream holds (of those shown).",
    )(command)
    command = click.option(
        "--json",
        "as_json",
        is_flag=True,
        help='One JSON object per line: {"entry_id": ..., "fields": {...}}.',
    )(command)
    return click.option(
        "--follow", "-f", is_flag=True, help="Then print each new entry as it comes, until Ctrl-C."
    )(command)


def _of(execution_id: str | None) -> Callable[[Mapping[str, str]], bool]:
    return lambda fields: (
        execution_id is None or (fields.get("campaign_execution_id") == execution_id)
    )


@click.command(epilog=REDIS_SETTINGS_HELP)
@click.argument("execution_id", required=False)
@_options
def events(execution_id: str | None, follow: bool, as_json: bool, last: int | None) -> None:
    """Queue events (queue_event_stream), of EXECUTION_ID or of all, oldest first."""
    _tail(
        lambda keys: keys.queue_event_stream,
        _of(execution_id),
        _event,
        as_json=as_json,
        follow=follow,
        last=last,
    )


@click.command(epilog=REDIS_SETTINGS_HELP)
@click.argument("execution_id")
@_options
def dispositions(execution_id: str, follow: bool, as_json: bool, last: int | None) -> None:
    """Dispositions of EXECUTION_ID (call_dispositions), oldest first.

    Read without a consumer group: nothing is acked or taken from the disposition consumer.
    """
    _tail(
        lambda keys: keys.call_dispositions,
        _of(execution_id),
        _disposition,
        as_json=as_json,
        follow=follow,
        last=last,
    )


@click.command(name="dead-letters", epilog=REDIS_SETTINGS_HELP)
@_options
def dead_letters(follow: bool, as_json: bool, last: int | None) -> None:
    """Control entries the service rejected (queue_control_dead_letter), with their errors:
    when each was rejected, the error, then the entry's fields."""
    _tail(
        lambda keys: keys.queue_control_dead_letter,
        _of(None),
        _dead_letter,
        as_json=as_json,
        follow=follow,
        last=last,
    )
