"""Every Redis key the queue service reads or writes, in one place.

`<id>` is a campaign execution id; `{...}` are literal braces, a Redis Cluster hash tag.

Contract keys (names are settings; defaults shown)

    queue_control_stream          STREAM  commands; read as group `queue_control_group`
    queue_control_dead_letter     STREAM  invalid commands, copied with an `error` field
    campaign_execution:<id>       JSON    execution settings (a JSON string is accepted too)
    task_queue_stats              HASH    WQ... -> TaskQueue RealTimeStatistics JSON
    call_dispositions             STREAM  one entry per settled claim (schema_version 2)
    queue_event_stream            STREAM  queue lifecycle events

One execution: every key below hashes to the slot of `{<id>}`, so each step on one execution
is one Lua script on one node, in a cluster too.

    campaign_cache:{<id>}         LIST    raw contact records; claimed from the head
    active_calls:{<id>}           SET     Studio execution SIDs in flight
    queue:seq:{<id>}              STRING  claim id counter (INCRBY)
    queue:claims:{<id>}           HASH    claim id -> raw record, from claim to settle or return
    queue:owners:{<id>}           HASH    claim id -> owning instance
    queue:claimed_at:{<id>}       HASH    claim id -> claim time (unix s)
    queue:launching:{<id>}        HASH    claim id -> reservation time, until the launch is recorded
    queue:attempts:{<id>}         HASH    claim id -> ContactAttempt JSON, from launch to settle
    queue:answered:{<id>}         SET     execution SIDs a person answered
    queue:facts:{<id>}:<claim>    HASH    fact key -> encoded fact (TTL: contact timeout + margin)
    queue:outbox:{<id>}           STREAM  settled dispositions not yet published (claim_id + fields;
                                          a cluster's settle, none on one server: ADR 0009)
    queue:state:{<id>}            HASH    state, owner, updated_at, reason, request_id, launched,
                                          dispositions, human_answered, abandoned (this run;
                                          ADR 0025), campaign_id, the pacing report, and
                                          `events`: the events of its transitions not yet
                                          published (ADR 0018)
    queue:waited:{<id>}           HASH    claim id -> "<attempt>:<reason>:<last status>:<due>" of
                                          a claim taken from the waiting set, from take to
                                          settle (given back, it waits again at <due>)
    queue:waiting:{<id>}          ZSET    waiting records: member = waiting id (the claim id
                                          it left as), score = when it is due (unix s)
    queue:waiting_records:{<id>}  HASH    waiting id -> "<attempt>:<reason>:<last status>:<raw>":
                                          the number of its next attempt, `window` or `retry`,
                                          its last attempt's status ("" for none), then the
                                          record as the cache held it, byte for byte
    queue:waiting_counts:{<id>}   HASH    window, retry: how many records wait for each
    queue:lease:{<id>}            HASH    owner, token of the instance driving it (PEXPIRE ttl)
    queue:lease_seq:{<id>}        STRING  fencing token counter (INCR), never reset

Do-not-call lists: SETs of E.164 numbers that other services write, named by an execution's
`dnc_sets` (any key names, in any slots); only read (SMISMEMBER, TYPE).

Global keys: each in its own slot. On a cluster no script mixes them with an execution's keys
(order keeps them right): the multi-key ones are the publish script, in the stream's slot (a
disposition's, with its campaign's day), and the index and parked keys of one SID. On a single
server (ADR 0008, 0009) a step is one script across slots: reserve (pair + claim),
record_launch (claim + SID), settle (claim + stream + the campaign's day + the indexes, no
outbox entry) and a webhook batch (its index keys + the assemblies of the contacts they name,
whose keys that script makes from `RedisKeys.around_execution_id`).

    queue:executions              SET     execution ids with a stored state
    queue:graces                  ZSET    contacts in their settle grace: member ContactRef JSON,
                                          score = when the grace is due (unix s; ADR 0011)
    queue:pair:<to>:<from>        STRING  ContactRef JSON holding the (To, From) pair (TTL)
    queue:sid:{<FN...>}           STRING  ContactRef JSON of a Studio execution (TTL)
    queue:call:{<CA...>}          STRING  ContactRef JSON of a call (TTL), for TaskRouter's events,
                                          which name only the call: written when the tracker
                                          first learns the contact's call SID (of an attempt
                                          that expects task events), let go with the others
                                          after the disposition is published (ADR 0025)
    queue:parked:{<FN...>}        HASH    fact key -> encoded fact: Studio events and flow reports
                                          that came before their launch was recorded (TTL); the
                                          SID's hash tag puts both in one slot, so indexing the
                                          SID hands the parked facts over in the same script
    queue:published:{call_dispositions}:<id>:<outbox entry id>
                                  STRING  published marker: the stream entry id (TTL); its tag
                                          is the stream's, so XADD + marker are one script
                                          (written by publishing an outbox entry only)
    queue:published:{queue_event_stream}:<id>:<event id>
                                  STRING  likewise for an event of a state transition (TTL)
    queue:abandonment:{call_dispositions}:<campaign id>:<YYYY-MM-DD>
                                  HASH    human_answered, abandoned: a campaign's published
                                          dispositions of that UTC day (of `ended_at`), across
                                          executions and instances; EXPIREAT the day's start
                                          + 31 days. The stream's tag puts every campaign's
                                          days in its slot, so the script that publishes a
                                          disposition counts it too (ADR 0025)

The account's launch budget: one schedule shared by every instance, with its own hash tag.

    queue:launch_window:{launch_limiter}  ZSET    reserved launch slots still in the window:
                                                  member <n>, score = slot time (Redis TIME, us)
    queue:launch_next:{launch_limiter}    STRING  when the schedule's next slot is due (us)
    queue:launch_seq:{launch_limiter}     STRING  counter that makes each member unique (INCR)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ExecutionKeys", "RedisKeys", "slot_tag"]


def slot_tag(key: str) -> str:
    """The part of `key` that Redis Cluster hashes: the first non-empty `{...}`, else all."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


@dataclass(frozen=True, slots=True)
class ExecutionKeys:
    """The keys of one execution, all in the slot of `{<id>}`."""

    execution_id: str
    cache: str
    active_calls: str
    seq: str
    claims: str
    owners: str
    claimed_at: str
    launching: str
    attempts: str
    answered: str
    outbox: str
    state: str
    lease: str
    lease_seq: str
    facts_prefix: str
    waited: str
    waiting: str
    waiting_records: str
    waiting_counts: str

    def facts(self, claim_id: str) -> str:
        return f"{self.facts_prefix}{claim_id}"

    @property
    def claim_keys(self) -> list[str]:
        """The hashes holding a claim, in the order the claim scripts take them."""
        return [self.claims, self.owners, self.claimed_at, self.launching, self.attempts]

    @property
    def waiting_keys(self) -> list[str]:
        """The keys of the waiting set, in the order the scripts that move records in or out
        of it take them: the marks of claims taken from it, then the set itself."""
        return [self.waited, self.waiting, self.waiting_records, self.waiting_counts]


@dataclass(frozen=True, slots=True)
class RedisKeys:
    """Key and group names: the contract's defaults, each overridable by a setting."""

    queue_control_stream: str = "queue_control_stream"
    queue_control_group: str = "queue_control_group"
    queue_control_dead_letter: str = "queue_control_dead_letter"
    campaign_execution_prefix: str = "campaign_execution:"
    task_queue_stats: str = "task_queue_stats"
    campaign_cache_prefix: str = "campaign_cache:"
    active_calls_prefix: str = "active_calls:"
    call_dispositions: str = "call_dispositions"
    queue_event_stream: str = "queue_event_stream"
    prefix: str = "queue:"

    def __post_init__(self) -> None:
        # The per-execution keys get their slot from `{<id>}`: a brace before it would win.
        for name in ("prefix", "campaign_cache_prefix", "active_calls_prefix"):
            if "{" in getattr(self, name) or "}" in getattr(self, name):
                raise ValueError(f"{name}: braces are not allowed, the key adds its own hash tag")
        # The published markers reuse the stream's hash tag inside braces of their own.
        for stream in ("call_dispositions", "queue_event_stream"):
            if "}" in slot_tag(getattr(self, stream)):
                raise ValueError(f"{stream}: a key whose hash tag holds '}}' is not supported")

    def campaign_execution(self, execution_id: str) -> str:
        return f"{self.campaign_execution_prefix}{execution_id}"

    def campaign_cache(self, execution_id: str) -> str:
        return f"{self.campaign_cache_prefix}{{{execution_id}}}"

    def active_calls(self, execution_id: str) -> str:
        return f"{self.active_calls_prefix}{{{execution_id}}}"

    def execution(self, execution_id: str) -> ExecutionKeys:
        tag = f"{{{execution_id}}}"
        own = self.prefix
        return ExecutionKeys(
            execution_id=execution_id,
            cache=self.campaign_cache(execution_id),
            active_calls=self.active_calls(execution_id),
            seq=f"{own}seq:{tag}",
            claims=f"{own}claims:{tag}",
            owners=f"{own}owners:{tag}",
            claimed_at=f"{own}claimed_at:{tag}",
            launching=f"{own}launching:{tag}",
            attempts=f"{own}attempts:{tag}",
            answered=f"{own}answered:{tag}",
            outbox=f"{own}outbox:{tag}",
            state=f"{own}state:{tag}",
            lease=f"{own}lease:{tag}",
            lease_seq=f"{own}lease_seq:{tag}",
            facts_prefix=f"{own}facts:{tag}:",
            waited=f"{own}waited:{tag}",
            waiting=f"{own}waiting:{tag}",
            waiting_records=f"{own}waiting_records:{tag}",
            waiting_counts=f"{own}waiting_counts:{tag}",
        )

    @property
    def executions(self) -> str:
        return f"{self.prefix}executions"

    @property
    def graces(self) -> str:
        return f"{self.prefix}graces"

    @property
    def launch_window(self) -> str:
        return f"{self.prefix}launch_window:{{launch_limiter}}"

    @property
    def launch_next(self) -> str:
        return f"{self.prefix}launch_next:{{launch_limiter}}"

    @property
    def launch_seq(self) -> str:
        return f"{self.prefix}launch_seq:{{launch_limiter}}"

    def pair(self, to: str, from_: str) -> str:
        return f"{self.prefix}pair:{to}:{from_}"

    def execution_sid(self, execution_sid: str) -> str:
        return f"{self.prefix}sid:{{{execution_sid}}}"

    def call(self, call_sid: str) -> str:
        """The call SID index: the contact a TaskRouter task of the call belongs to."""
        return f"{self.prefix}call:{{{call_sid}}}"

    def abandonment(self, campaign_id: str, day: str) -> str:
        """A campaign's counts of one UTC day, in the slot of `call_dispositions`."""
        tag = slot_tag(self.call_dispositions)
        return f"{self.prefix}abandonment:{{{tag}}}:{campaign_id}:{day}"

    def parked(self, execution_sid: str) -> str:
        """Facts waiting for the launch of `execution_sid` to be recorded (same slot)."""
        return f"{self.prefix}parked:{{{execution_sid}}}"

    def around_execution_id(self, name: str) -> tuple[str, str]:
        """The text before and after the execution id in the `ExecutionKeys` field `name`: a
        script that looks contacts up (one server only) makes their keys from these."""
        marker = "\x00"
        before, after = getattr(self.execution(marker), name).split(marker)
        return before, after

    def published(self, execution_id: str, outbox_entry_id: str) -> str:
        """The dedupe marker of one outbox entry, in the slot of `call_dispositions`."""
        tag = slot_tag(self.call_dispositions)
        return f"{self.prefix}published:{{{tag}}}:{execution_id}:{outbox_entry_id}"

    def published_event(self, execution_id: str, event_id: str) -> str:
        """The dedupe marker of one transition's event, in the slot of `queue_event_stream`."""
        tag = slot_tag(self.queue_event_stream)
        return f"{self.prefix}published:{{{tag}}}:{execution_id}:{event_id}"
