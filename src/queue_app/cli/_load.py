"""`load`: write a campaign execution's document and its contact cache from a CSV file, so that
a trial needs no hand-written Redis commands."""

from __future__ import annotations

import re
from pathlib import Path

import click

from queue_adapters.redis import connect
from queue_app.campaign_loader import CampaignLoader, CampaignLoadRefused
from queue_app.cli._shared import REDIS_SETTINGS_HELP, console, errors, fail, run, settings
from queue_app.contact_csv import ContactSheet, read_contacts
from queue_core.domain.campaign import CampaignExecution, PacingMode, PacingSettings
from queue_core.domain.errors import InvalidCampaignExecution

__all__ = ["load"]

_DEFAULTS = PacingSettings()
# The document's fields, as the options that set them.
_OPTION_OF = {
    "campaign_execution_id": "EXECUTION_ID",
    "studio_flow_sid": "--flow",
    "from_number": "--from",
    "task_queue_sid": "--task-queue",
    "pacing.mode": "--mode",
    "pacing.dial_ratio": "--dial-ratio",
    "pacing.max_concurrent_calls": "--max-concurrent-calls",
    "pacing.cps_share": "--cps-share",
    "pacing.max_dial_ratio": "--max-dial-ratio",
    "pacing.abandon_target": "--abandon-target",
}


def _execution(document: dict[str, object]) -> CampaignExecution:
    """The document checked as `start` will check it; a usage error naming the option if not."""
    try:
        return CampaignExecution.from_document(document, key="")
    except InvalidCampaignExecution as exc:
        message = str(exc).removeprefix(": ")
        named = re.search(r"field '([^']+)'", message)
        hint = _OPTION_OF.get(named.group(1)) if named else None
        raise click.BadParameter(message, param_hint=hint) from None


def _sheet(path: Path) -> ContactSheet:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 text: {exc}", param_hint="--csv") from None
    return read_contacts(text)


@click.command(epilog=REDIS_SETTINGS_HELP)
@click.argument("execution_id")
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Contacts: a header with record_id and phone_number (E.164), optionally timezone (an "
    "IANA name); every other column goes into the record's attributes.",
)
@click.option("--flow", required=True, help="The Studio flow SID (FW + 32 hex digits).")
@click.option("--from", "from_number", required=True, help="The number calls come from (E.164).")
@click.option(
    "--task-queue",
    required=True,
    help="The TaskRouter task queue SID (WQ + 32 hex digits) whose stats pace the execution.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in PacingMode]),
    default=_DEFAULTS.mode.value,
    show_default=True,
    help="Pacing mode.",
)
@click.option(
    "--dial-ratio",
    type=float,
    default=_DEFAULTS.dial_ratio,
    show_default=True,
    help="Dials per free agent (progressive; predictive starts from it).",
)
@click.option(
    "--max-concurrent-calls",
    type=int,
    default=_DEFAULTS.max_concurrent_calls,
    show_default=True,
    help="Calls in flight at most (what fixed mode keeps).",
)
@click.option(
    "--cps-share",
    type=float,
    default=_DEFAULTS.cps_share,
    show_default=True,
    help="Share of the account's CPS this execution may take when several run.",
)
@click.option(
    "--max-dial-ratio",
    type=float,
    default=_DEFAULTS.max_dial_ratio,
    show_default=True,
    help="Ceiling of the predictive dial ratio.",
)
@click.option(
    "--abandon-target",
    type=float,
    default=_DEFAULTS.abandon_target,
    show_default=True,
    help="Share of person-answered calls that may be abandoned (predictive).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Write the good rows and list the bad ones, instead of writing nothing.",
)
@click.option(
    "--replace", is_flag=True, help="Overwrite the execution's document and cache if they exist."
)
def load(
    execution_id: str,
    csv_path: Path,
    flow: str,
    from_number: str,
    task_queue: str,
    mode: str,
    dial_ratio: float,
    max_concurrent_calls: int,
    cps_share: float,
    max_dial_ratio: float,
    abandon_target: float,
    skip_invalid: bool,
    replace: bool,
) -> None:
    """Write campaign_execution:EXECUTION_ID and its contact cache from a CSV file.

    Every row is checked first; when one is bad, every bad row is listed with its line number
    and nothing is written (unless --skip-invalid). Both keys are written at once (one
    transaction on a single server), never over existing ones without --replace, and never
    while the execution runs. Then `queue-service start EXECUTION_ID` starts it.
    """
    execution = _execution(
        {
            "campaign_execution_id": execution_id,
            "studio_flow_sid": flow,
            "from_number": from_number,
            "task_queue_sid": task_queue,
            "pacing": {
                "mode": mode,
                "dial_ratio": dial_ratio,
                "max_concurrent_calls": max_concurrent_calls,
                "cps_share": cps_share,
                "max_dial_ratio": max_dial_ratio,
                "abandon_target": abandon_target,
            },
        }
    )
    sheet = _sheet(csv_path)
    for problem in sheet.problems:
        verb = "skipped " if skip_invalid else ""
        errors.print(f"{csv_path}: {verb}{problem}", highlight=False, markup=False)
    if sheet.problems and (not skip_invalid or not sheet.records):
        fail(f"{len(sheet.problems)} bad row(s) in {csv_path}: nothing written")
    current = settings()
    keys = current.redis_keys

    async def write() -> str:
        """ "" when written, else why nothing was."""
        redis = await connect(current.redis.url)
        try:
            await CampaignLoader(redis, keys).load(execution, sheet.records, replace=replace)
        except CampaignLoadRefused as exc:
            return f"{exc}: give --replace to overwrite" if exc.existing else str(exc)
        finally:
            await redis.aclose()
        return ""

    refused = run(write, current.redis.url)
    if refused:
        fail(f"{refused}; nothing written")
    skipped = f", {len(sheet.problems)} bad row(s) skipped" if sheet.problems else ""
    console.print(
        f"loaded {execution_id}: {len(sheet.records)} contact(s) in "
        f"{keys.campaign_cache(execution_id)}{skipped}, the execution in "
        f"{keys.campaign_execution(execution_id)}; `queue-service start {execution_id}` "
        "starts it",
        highlight=False,
        markup=False,
    )
