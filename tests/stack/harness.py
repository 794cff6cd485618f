"""Start ``deploy/local-stack`` and talk to it the way a client does: GraphQL over HTTP, nothing else (the one
exception is the SMS outbox file, the stack's stand-in for the phones the initial passwords go to).

Used by the stack tests (tests/stack/) and by bench/faults.py and bench/load.py.
"""

from __future__ import annotations

import base64
import csv
import ctypes
import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[2]
EXIT_NO_PACKAGES = 3
HAIAN, TONGNAN = "320685", "500152"
TOWNS = {"320685107": HAIAN, "320685109": HAIAN, "500152116": TONGNAN}  # 大公镇, 雅周镇, 新胜镇
ROSTER_HEADER = ["户号", "村代码", "姓名", "身份证号", "与户主关系", "手机号", "基本医保类型", "困难类别", "户籍登记日期"]  # fmt: skip


class StackUnavailable(RuntimeError):
    """The Debian packages are missing and could not be installed."""


@dataclass
class Stack:
    process: subprocess.Popen
    info: dict
    json_path: Path
    output: Path

    @property
    def url(self) -> str:
        return self.info["web_url"]

    def refresh(self) -> dict:
        self.info = json.loads(self.json_path.read_text())
        return self.info

    def service_pid(self, name: str) -> int:
        return self.refresh()["services"][name]["pid"]

    def hold(self, name: str, held: bool = True) -> None:
        """While held, the stack does not restart ``name`` after it dies."""
        path = Path(self.info["hold_dir"]) / name
        if held:
            path.touch()
        else:
            path.unlink(missing_ok=True)

    def wait_restarted(self, name: str, old_pid: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.service_pid(name)
            if pid != old_pid:
                return pid
            time.sleep(0.1)
        raise TimeoutError(f"{name} was not restarted")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_stack(*args: str, timeout: float = 600, clock: bool = False) -> Stack:
    """Run deploy/local-stack until its description is written. Raises StackUnavailable (exit status 3) when the
    packages cannot be installed, RuntimeError with its output when it fails otherwise. ``clock``: web, workers
    and beat follow a clock file the tests can move (``move_clock``)."""
    folder = Path(tempfile.mkdtemp(prefix="stack-run-"))
    json_path, output = folder / "stack.json", folder / "local-stack.out"
    if clock:
        args = (*args, "--clock-file", str(folder / "clock"))

    def stop_with_us():  # the stack stops (SIGTERM: cleanly) when the process that started it dies
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "deploy" / "local-stack"), "--json", str(json_path), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
            preexec_fn=stop_with_us,
        )
    deadline = time.monotonic() + timeout
    while not json_path.exists():
        if process.poll() is not None:
            text = output.read_text(errors="replace")
            if process.returncode == EXIT_NO_PACKAGES:
                raise StackUnavailable(text.strip()[-500:])
            raise RuntimeError(f"deploy/local-stack exited with {process.returncode}:\n{text[-4000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("deploy/local-stack did not come up:\n" + output.read_text()[-4000:])
        time.sleep(0.2)
    return Stack(process, json.loads(json_path.read_text()), json_path, output)


# --- HTTP -------------------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)

    def data(self, name: str) -> dict:
        assert self.status == 200 and not self.body.get("errors"), (self.status, self.body)
        return self.body["data"][name]


class Client:
    """One keep-alive HTTP connection to the stack's web server."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30):
        parts = urlparse(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.token = token
        self.username: str | None = None
        self.connection: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _request(self, method: str, path: str, body: bytes | None, content_type: str | None):
        # X-Forwarded-Proto: as the TLS-terminating proxy in front of production would send it.
        headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, bytes, dict]:
        """A plain GET (a file download): status, body and headers."""
        response, raw = self._request("GET", path, None, None)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, raw, dict(response.getheaders())

    def post(self, path: str, payload: dict) -> Reply:
        return self._post(path, json.dumps(payload).encode(), "application/json")

    def _post(self, path: str, body: bytes, content_type: str) -> Reply:
        response, raw = self._request("POST", path, body, content_type)
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:500].decode(errors="replace")}
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, parsed, dict(response.getheaders()))

    def gql(self, query: str, variables: dict | None = None, town: str | None = None) -> Reply:
        path = f"/t/{town}/graphql/" if town else "/graphql/"
        return self.post(path, {"query": query, "variables": variables or {}})

    def gql_upload(
        self, query: str, variables: dict, files: dict[str, tuple[str, bytes, str]], town: str | None = None
    ) -> Reply:
        """A GraphQL multipart request (the spec graphene-file-upload reads): ``files`` maps a variable name to
        (file name, content, content type); that variable is sent as null and filled from the part."""
        boundary = f"----stack{os.urandom(8).hex()}"
        operations = {"query": query, "variables": {**variables, **{name: None for name in files}}}
        mapping = {str(n): [f"variables.{name}"] for n, name in enumerate(files)}
        parts = [
            ("operations", None, json.dumps(operations).encode(), "application/json"),
            ("map", None, json.dumps(mapping).encode(), "application/json"),
        ] + [(str(n), name, content, ctype) for n, (_, (name, content, ctype)) in enumerate(files.items())]
        body = b""
        for field_name, file_name, content, ctype in parts:
            disposition = f'form-data; name="{field_name}"' + (
                f'; filename="{file_name}"' if file_name else ""
            )
            body += (
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        body += f"--{boundary}--\r\n".encode()
        path = f"/t/{town}/graphql/" if town else "/graphql/"
        return self._post(path, body, f"multipart/form-data; boundary={boundary}")


def login(base_url: str, username: str, password: str) -> Client:
    client = Client(base_url)
    created = client.gql(
        "mutation($u: String!, $p: String!) { tokenCreate(username: $u, password: $p) { accessToken errors { code message } } }",
        {"u": username, "p": password},
    ).data("tokenCreate")
    assert created["errors"] == [], created
    client.token, client.username = created["accessToken"], username
    return client


# --- the flows a county and a town go through --------------------------------------------------------------------
def sms_to(stack: Stack, phone: str, pattern: str, timeout: float = 60) -> re.Match:
    """Wait for an SMS to ``phone`` whose text matches ``pattern`` (the stack's FileSmsBackend outbox)."""
    outbox = Path(stack.info["sms_outbox"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.exists():
            for line in reversed(outbox.read_text(encoding="utf-8").splitlines()):
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                match = re.search(pattern, row["text"]) if row.get("phone") == phone else None
                if match:
                    return match
        time.sleep(0.2)
    raise TimeoutError(f"no SMS to {phone} matching {pattern!r}")


def admin_phone(code: str) -> str:
    return f"139{code[-8:]}"


def invite(
    stack: Stack, inviter: Client, phone: str, password: str, town: str | None = None, **scope
) -> Client:
    """userInvite as ``inviter`` (``scope``: role, firmId, villageCode …), then, as the invited person,
    invitationAccept with the code from the SMS and a password of their own; returns their signed-in client."""
    invited = inviter.gql(
        """mutation($i: UserInviteInput!) { userInvite(input: $i) {
             user { username } errors { field code message } } }""",
        {"i": {"phone": phone, **scope}},
        town=town,
    ).data("userInvite")
    assert invited["errors"] == [], invited
    code = sms_to(stack, phone, r"验证码 (\d+)").group(1)
    accepted = (
        Client(stack.url)
        .gql(
            """mutation($p: String!, $c: String!, $w: String!) { invitationAccept(phone: $p, code: $c, password: $w) {
                 ok username errors { field code message } } }""",
            {"p": phone, "c": code, "w": password},
        )
        .data("invitationAccept")
    )
    assert accepted["ok"] and accepted["errors"] == [], accepted
    return login(stack.url, accepted["username"], password)


def server_time(stack: Stack) -> float:
    """The web server's clock, read from its Date header (seconds since the epoch)."""
    from email.utils import parsedate_to_datetime

    client = Client(stack.url)
    try:
        _, _, headers = client.get("/graphql/")
    finally:
        client.close()
    return parsedate_to_datetime(headers["Date"]).timestamp()


def move_clock(stack: Stack, offset_seconds: int, timeout: float = 60) -> None:
    """Set the offset of the stack's clock (deploy/local-stack --clock-file: web, workers and beat) and wait until
    the web server shows it."""
    clock = stack.info.get("clock_file")
    assert clock, "the stack was started without --clock-file"
    Path(clock).write_text(f"+{offset_seconds}\n")
    deadline = time.monotonic() + timeout
    while True:
        try:  # gunicorn may replace its workers when their clock jumps
            if abs(server_time(stack) - (time.time() + offset_seconds)) <= 5:
                break
        except (OSError, http.client.HTTPException):
            pass
        assert time.monotonic() < deadline, "the web server did not take the new clock"
        time.sleep(0.5)
    time.sleep(2)  # every process re-reads the offset within a second


def onboard_town(stack: Stack, county: Client, code: str, timeout: float = 120) -> Client:
    """onboardTown as the county bureau, wait for the worker to make it ACTIVE, sign in as its first admin with
    the password from the SMS; returns the admin's client."""
    phone = admin_phone(code)
    started = county.gql(
        "mutation($c: String!, $p: String!) { onboardTown(code: $c, adminPhone: $p) { town { code status } errors { code message } } }",
        {"c": code, "p": phone},
    ).data("onboardTown")
    assert started["errors"] == [], started
    deadline = time.monotonic() + timeout
    while True:
        town = county.gql("query($c: String!) { town(code: $c) { status error } }", {"c": code}).data("town")
        if town["status"] == "ACTIVE":
            break
        assert town["status"] != "FAILED" and time.monotonic() < deadline, town
        time.sleep(0.3)
    password = sms_to(stack, phone, r"初始密码 (\S+)").group(1)
    return login(stack.url, f"admin_{code}", password)


def scheme_year() -> int:
    return date.today().year + 1


def publish_policy(admin: Client, code: str) -> int:
    """The town's document preset (``auto``) for next year, with the enrolment window (and the register's
    snapshot date) moved to open yesterday and close in 30 days, published; returns the scheme year."""
    year, today = scheme_year(), date.today()
    applied = admin.gql(
        """mutation($y: Int!) { policyPresetApply(key: "auto", schemeYear: $y) {
             policy { id status } errors { field code message } } }""",
        {"y": year},
        town=code,
    ).data("policyPresetApply")
    assert applied["errors"] == [], applied
    policy_id = applied["policy"]["id"]
    opens, closes = str(today - timedelta(days=1)), str(today + timedelta(days=30))
    updated = admin.gql(
        """mutation($id: ID!, $o: Date!, $c: Date!) { policyDraftUpdate(id: $id,
             input: {registerSnapshotDate: $o, enrolmentOpens: $o, enrolmentCloses: $c}) { errors { field code message } } }""",
        {"id": policy_id, "o": opens, "c": closes},
        town=code,
    ).data("policyDraftUpdate")
    assert updated["errors"] == [], updated
    published = admin.gql(
        "mutation($id: ID!) { policyPublish(id: $id) { policy { status } errors { field code message } } }",
        {"id": policy_id},
        town=code,
    ).data("policyPublish")
    assert published["errors"] == [] and published["policy"]["status"] == "PUBLISHED", published
    return year


def roster_csv(village: str, households: int, size: int = 3, seed: int = 0) -> bytes:
    """A valid roster: ``households`` households of ``size`` people in ``village``. Rosters of different seeds
    (0 to 25) share no ID number; the same seed twice is the same people (a re-import, or a move)."""
    from mutualaid.platform import idnumbers

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROSTER_HEADER)
    area = village[:6]
    for h in range(households):
        for m in range(size):
            n = seed * 100_000 + h * size + m  # ID numbers unique across seeds (up to 33,333 households each)
            born = date(1950, 1, 1) + timedelta(days=(n // 1000) * 7 + n % 5)  # (birth date, sequence) unique
            writer.writerow(
                [f"H{village[-3:]}{h:05d}", village, f"村民{n}", idnumbers.make(area, born, n % 1000),
                 "户主" if m == 0 else "子女", f"13{n % 10**9:09d}", "城乡居民医保", "", "2001-05-06"]
            )  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


def create_village(admin: Client, code: str, village: str) -> None:
    made = admin.gql(
        "mutation($c: String!) { createVillage(code: $c, name: $c) { errors { code message } } }",
        {"c": village},
        town=code,
    ).data("createVillage")
    assert made["errors"] == [] or made["errors"][0]["code"] in ("DUPLICATE", "ALREADY_EXISTS"), made


def start_import(admin: Client, code: str, content: bytes, name: str = "roster.csv") -> str:
    started = admin.gql(
        """mutation($f: String!, $n: String!) { importRoster(fileName: $n, contentBase64: $f) {
             job { id status } errors { code message } } }""",
        {"f": base64.b64encode(content).decode(), "n": name},
        town=code,
    ).data("importRoster")
    assert started["errors"] == [], started
    return started["job"]["id"]


JOB = """query($id: ID!) { rosterImportJob(id: $id) { status rowsTotal rowsDone createdCount updatedCount
          unchangedCount errorCount } }"""


def import_job(admin: Client, code: str, job_id: str) -> dict:
    return admin.gql(JOB, {"id": job_id}, town=code).data("rosterImportJob")


def wait_import(admin: Client, code: str, job_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = import_job(admin, code, job_id)
        if job["status"] in ("DONE", "FAILED"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def household_ids(admin: Client, code: str, village: str) -> list[str]:
    ids, after = [], None
    while True:
        page = admin.gql(
            """query($v: String!, $a: String) { households(villageCode: $v, first: 100, after: $a) {
                 pageInfo { hasNextPage endCursor } edges { node { id } } } }""",
            {"v": village, "a": after},
            town=code,
        ).data("households")
        ids += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


def enrol(admin: Client, code: str, year: int, households: list[str]) -> list[dict]:
    enrolled = admin.gql(
        """mutation($y: Int!, $h: [ID!]!) { enrolHouseholds(schemeYear: $y, householdIds: $h) {
             enrolments { id memberCount due } errors { code message } } }""",
        {"y": year, "h": households},
        town=code,
    ).data("enrolHouseholds")
    assert enrolled["errors"] == [], enrolled
    return enrolled["enrolments"]


def record_contribution(admin: Client, code: str, enrolment_id: str, receipt: str) -> dict:
    recorded = admin.gql(
        """mutation($e: ID!, $r: String!) { recordContribution(enrolmentId: $e, method: CASH, receiptNumber: $r) {
             contribution { id amount } errors { code message } } }""",
        {"e": enrolment_id, "r": receipt},
        town=code,
    ).data("recordContribution")
    assert recorded["errors"] == [], recorded
    return recorded["contribution"]


def fund_summary(client: Client, code: str, year: int) -> dict:
    return client.gql(
        """query($y: Int!) { fundSummary(schemeYear: $y) { bank receivables income expenses surplus netAssets
             incomeBySource { source amount } } }""",
        {"y": year},
        town=code,
    ).data("fundSummary")


def trial_balance(client: Client, code: str, year: int) -> dict:
    return client.gql(
        "query($y: Int!) { fundTrialBalance(schemeYear: $y) { balanced totalDebit totalCredit } }",
        {"y": year},
        town=code,
    ).data("fundTrialBalance")


def counts_in_village(client: Client, code: str, village: str) -> dict:
    reply = client.gql(
        """query($v: String!) { households(villageCode: $v, first: 1) { totalCount }
             members(villageCode: $v, first: 1) { totalCount } }""",
        {"v": village},
        town=code,
    )
    assert reply.status == 200 and not reply.body.get("errors"), reply.body
    data = reply.body["data"]
    return {"households": data["households"]["totalCount"], "members": data["members"]["totalCount"]}


def active_task(stack: Stack, name: str, timeout: float = 60) -> dict:
    """The first running task called ``name``, as the workers report it (hostname, worker_pid, id), asked over
    the broker with Celery's remote control."""
    from celery import Celery

    app = Celery("stack-probe", broker=stack.info["broker_url"])
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for host, tasks in (app.control.inspect(timeout=0.5).active() or {}).items():
                for task in tasks:
                    if task["name"] == name:
                        return {"hostname": host, "worker_pid": task["worker_pid"], "id": task["id"]}
            time.sleep(0.05)
    finally:
        app.close()
    raise TimeoutError(f"no worker is running {name}")


def task_log(stack: Stack, task_id: str) -> dict:
    """How often the workers' logs say the task was received, succeeded, failed or lost its process."""
    counts = {"received": 0, "succeeded": 0, "failed": 0, "worker_lost": 0}
    for name, service in stack.refresh()["services"].items():
        if not name.startswith("worker"):
            continue
        for line in Path(service["log"]).read_text(errors="replace").splitlines():
            if task_id not in line:
                continue
            if "received" in line:
                counts["received"] += 1
            elif "succeeded" in line:
                counts["succeeded"] += 1
            elif "WorkerLostError" in line or ("Process" in line and "exited" in line):
                counts["worker_lost"] += 1
            elif "raised" in line or "failed" in line.lower():
                counts["failed"] += 1
    return counts


def kill_mid_import(stack: Stack, admin: Client, code: str, job_id: str) -> dict:
    """SIGKILL the pool process running the roster import of ``job_id`` once it has written some rows; what was
    killed and how far the import had got."""
    import os

    victim = active_task(stack, "enrolment.import_roster")
    db = stack_db(stack)
    member_table = f'"{town_schema(db, code)}".enrolment_member'
    deadline = time.monotonic() + 120
    try:
        while True:
            job = import_job(admin, code, job_id)
            if job["rowsDone"] > 0 or job["status"] in ("DONE", "FAILED") or _waits_for(db, member_table):
                break
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
    finally:
        db.close()
    os.kill(victim["worker_pid"], signal.SIGKILL)
    return {**victim, "rows_done_when_killed": job["rowsDone"], "status_when_killed": job["status"]}


def _waits_for(db, table: str) -> bool:
    return bool(sql(db, "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [table]))


@contextmanager
def members_held(stack: Stack, code: str):
    """A SHARE lock on the town's member table, held by this process like a long report: a roster import started
    inside waits at its first member write, with its batch's households written but not committed, so a kill lands
    in the middle of the import however fast the machine is. Released on leaving."""
    db = stack_db(stack)
    holder = stack_db(stack)
    holder.autocommit = False
    try:
        sql(holder, f'LOCK TABLE "{town_schema(db, code)}".enrolment_member IN SHARE MODE')
        yield
    finally:
        holder.rollback()
        holder.close()
        db.close()


# --- payout batches under faults ----------------------------------------------------------------------------------
# What the fault runs read from PostgreSQL directly (the figures no API shows: events and audit records per claim)
# and the one lock they hold to stop a batch's worker at a known point. Everything a user does still goes over HTTP.
def run_in_stack(stack: Stack, *argv: str, timeout: float = 600) -> str:
    """Run a one-off command with the stack's environment, as deploy/local-stack runs its bootstrap; its stdout."""
    python = REPO / ".venv" / "bin" / "python"
    env = {**stack.info["env"], "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run(
        [str(python if python.exists() else sys.executable), *argv],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def seed_approved_claims(stack: Stack, code: str, claims: int, decided: date) -> dict:
    """``claims`` approved, unpaid claims decided on ``decided`` in town ``code`` (deploy/stack_seed_claims.py)."""
    out = run_in_stack(
        stack, str(REPO / "deploy" / "stack_seed_claims.py"), code, "--claims", str(claims), "--decided", str(decided)
    )  # fmt: skip
    return json.loads(out.splitlines()[-1])


def stack_db(stack: Stack):
    """A connection to the stack's PostgreSQL itself (not through PgBouncer), autocommit."""
    import psycopg2

    connection = psycopg2.connect(stack.info["direct_database_url"])
    connection.autocommit = True
    return connection


def sql(connection, query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def town_schema(connection, code: str) -> str:
    return sql(connection, "SELECT schema_name FROM tenants_town WHERE code = %s", [code])[0][0]


def shanghai_today(stack: Stack) -> date:
    """Today in Asia/Shanghai by the stack's clock (it may have been moved: ``move_clock``)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(server_time(stack), ZoneInfo("Asia/Shanghai")).date()


def send_task(stack: Stack, name: str, **kwargs) -> str:
    """Put a task on the stack's broker as beat does (public schema, no result); its id."""
    from celery import Celery

    app = Celery("stack-probe", broker=stack.info["broker_url"])
    try:
        return app.send_task(name, kwargs=kwargs).id
    finally:
        app.close()


def payout_figures(connection, schema: str, month: date) -> dict:
    """A town's batch of ``month`` as its rows say: the batch rows, its lines against its totals, the claims by
    state, the 'batched' events and audit records (one per claim, none twice), the batch's audit record."""
    s = f'"{schema}"'
    batches = sql(connection, f"SELECT id, line_count, total_fen, state FROM {s}.payouts_payoutbatch WHERE month = %s", [month])  # fmt: skip
    lines = sql(
        connection,
        f"SELECT count(*), coalesce(sum(amount_fen), 0), count(DISTINCT claim_id) FROM {s}.payouts_payoutline l "
        f"JOIN {s}.payouts_payoutbatch b ON b.id = l.batch_id WHERE b.month = %s",
        [month],
    )[0]
    events = sql(
        connection,
        f"SELECT count(*), count(DISTINCT claim_id) FROM {s}.claims_claimevent WHERE action = 'batched'",
    )[0]
    audits = dict(
        sql(
            connection,
            f"SELECT action, count(*) FROM {s}.audit_auditevent "
            "WHERE action IN ('payouts.batch_prepared', 'claims.batched') GROUP BY action",
        )
    )
    return {
        "batches": len(batches),
        "state": batches[0][3] if batches else None,
        "line_count": batches[0][1] if batches else 0,
        "total_fen": batches[0][2] if batches else 0,
        "lines": lines[0],
        "lines_fen": int(lines[1]),
        "claims_on_lines": lines[2],
        "claims_by_state": dict(
            sql(connection, f"SELECT state, count(*) FROM {s}.claims_claim GROUP BY state")
        ),
        "batched_events": events[0],
        "claims_batched": events[1],
        "audit_batch_prepared": audits.get("payouts.batch_prepared", 0),
        "audit_claims_batched": audits.get("claims.batched", 0),
    }


def _pid_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def kill_mid_batch(
    stack: Stack, code: str, month: date, whole_worker: bool = False, timeout: float = 120
) -> dict:
    """Enqueue ``payouts.prepare_monthly_batches`` for ``month`` and SIGKILL the worker inside the batch of town
    ``code``, with the batch row, its lines, the claims' move and their events written but not committed.

    The worker is stopped at a known point by a SHARE lock on the town's audit table, held by this process, like
    a long report holding the table: the batch's transaction waits for it on its first audit insert, which comes
    after every other write. The pool process running the task (``whole_worker``: the worker's main process and
    pool, so nothing is left to requeue the message) is killed there, then the lock is released. Returns what
    was killed, the task id and the tables the killed transaction had written."""
    db = stack_db(stack)
    schema = town_schema(db, code)
    holder = stack_db(stack)
    holder.autocommit = False
    try:
        sql(holder, f'LOCK TABLE "{schema}".audit_auditevent IN SHARE MODE')
        task_id = send_task(stack, "payouts.prepare_monthly_batches", month=str(month))
        deadline = time.monotonic() + timeout
        while True:
            waiting = sql(
                db,
                """SELECT a.pid, now() - a.xact_start FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
                   WHERE NOT l.granted AND l.relation = %s::regclass AND a.query ILIKE 'INSERT INTO %%audit_auditevent%%'""",
                [f'"{schema}".audit_auditevent'],
            )  # fmt: skip
            if waiting:
                break
            assert time.monotonic() < deadline, "the batch's transaction never reached the audit insert"
            time.sleep(0.1)
        backend, in_transaction = waiting[0]
        written = sorted(
            name
            for (name,) in sql(
                db,
                """SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'
                     AND n.nspname = %s""",
                [backend, schema],
            )
        )
        advisory = sql(
            db, "SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory'", [backend]
        )
        victim = active_task(stack, "payouts.prepare_monthly_batches")
        assert victim["id"] == task_id, (victim, task_id)
        if whole_worker:
            worker = victim["hostname"].split("@")[0]
            main_pid = stack.service_pid(worker)
            os.killpg(main_pid, signal.SIGKILL)
            gone = [main_pid, victim["worker_pid"]]
            killed = f"{worker} (main process {main_pid} and its pool)"
        else:
            os.kill(victim["worker_pid"], signal.SIGKILL)
            gone = [victim["worker_pid"]]
            killed = f"pool process {victim['worker_pid']} of {victim['hostname']}"
        deadline = time.monotonic() + 30
        while not all(_pid_gone(pid) for pid in gone):
            assert time.monotonic() < deadline, "the killed processes are still there"
            time.sleep(0.05)
    finally:
        holder.rollback()  # the lock goes; the dead worker's transaction can only roll back now
        holder.close()
        db.close()
    return {
        "id": task_id,
        "killed": killed,
        "hostname": victim["hostname"],
        "written_when_killed": written,
        "advisory_lock_held": advisory[0][0] > 0,
        "transaction_age_s": round(in_transaction.total_seconds(), 2),
    }


def wait_task_done(stack: Stack, task_id: str, timeout: float = 300) -> dict:
    """Wait until a worker's log says the task succeeded; the log's counts."""
    deadline = time.monotonic() + timeout
    while True:
        log = task_log(stack, task_id)
        if log["succeeded"]:
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.2)


def payout_batches(client: Client, code: str, month: date) -> list[dict]:
    """The town's batches of ``month`` over the API: month, state, line count and total (yuan)."""
    batches = client.gql(
        "query($y: Int!) { payoutBatches(year: $y) { month state lineCount total } }",
        {"y": month.year},
        town=code,
    ).data("payoutBatches")
    return [b for b in batches if b["month"] == str(month)]


def ledger(client: Client, code: str, year: int) -> dict:
    """The town's trial balance of ``year`` over the API: balanced, the totals and each account's balance."""
    balance = client.gql(
        """query($y: Int!) { fundTrialBalance(schemeYear: $y) { balanced totalDebit totalCredit
             rows { account { key } balance } } }""",
        {"y": year},
        town=code,
    ).data("fundTrialBalance")
    return {
        "balanced": balance["balanced"],
        "total_debit": balance["totalDebit"],
        "total_credit": balance["totalCredit"],
        "balances": {row["account"]["key"]: row["balance"] for row in balance["rows"]},
    }
