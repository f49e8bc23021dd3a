"""Shared pieces of the benchmarks: the machine, timing helpers, tables and RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Section:
    """One benchmark's part of RESULTS.md: what was compared, a table, and notes."""

    title: str
    intro: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # "skipped: …" / "pending: …" / "failed: …" lines, printed in bold above the table.
    status: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, *cells: object) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        out = [f"## {self.title}", "", self.intro.strip(), ""]
        out += [f"**{line}**" + "  " for line in self.status]
        if self.status:
            out.append("")
        if self.rows:
            out.append("| " + " | ".join(self.columns) + " |")
            out.append("|" + "|".join(" --- " for _ in self.columns) + "|")
            out += ["| " + " | ".join(r) + " |" for r in self.rows]
            out.append("")
        out += [f"- {n}" for n in self.notes]
        if self.notes:
            out.append("")
        out.append(f"_This section took {self.seconds:.0f} s._")
        out.append("")
        return "\n".join(out)


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
        if found:
            model = found.group(1).strip()
    except OSError:
        pass
    import numpy as np  # noqa: PLC0415 (the machine line names its version)

    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            i = info[0]
            blas = (
                f"{i.get('internal_api')} {i.get('version')} "
                f"({i.get('architecture')}, {i.get('num_threads')} threads)"
            )
    except ImportError:
        pass
    mem = "unknown"
    try:
        kb = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, IndexError):
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
    }


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds >= 1e-4 else f"{seconds * 1e6:,.1f} µs"


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return fmt_us(seconds)
    if seconds < 1:
        return f"{seconds * 1e3:,.1f} ms"
    return f"{seconds:,.2f} s"


def fmt_ratio(value: float) -> str:
    return f"{value:,.2f}x" if value < 100 else f"{value:,.0f}x"


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"


def verdict(met: bool, target: str) -> str:
    return f"met ({target})" if met else f"**not met** ({target})"


def per_call(*fns: Callable[[], object], number: int, repeat: int = 5) -> list[float]:
    """For each function, the median over ``repeat`` rounds of the mean time of one call, in
    seconds. Rounds take turns (a round of each function, then the next), so a slow spell of
    a shared machine falls on every function alike instead of on whichever ran then."""
    rounds: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, rounds, strict=True):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
    return [statistics.median(times) for times in rounds]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Seconds until ``url`` answers any HTTP status; raises if it never does."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.perf_counter() - start
        except urllib.error.HTTPError:
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (Prism starts helpers)."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        if found:
            total += int(found.group(1)) * 1024
    return total


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants (Prism starts helpers), ended ones too."""
    ticks = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, and the same for children already waited for.
        ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    children: list[int] = []
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return children
    for child in (int(c) for c in text.split()):
        children += [child, *descendants(child)]
    return children


@contextmanager
def running(
    argv: Sequence[str], *, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, ended (by its own pid) when the block exits."""
    out = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        list(argv), env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            # The server's own process group only: Prism's node helpers go with it.
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for servers the benchmarks start: offline, no keys, no cloud."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and not k.startswith(("AWS_", "MOCKMIND_"))
    }
    env.update(
        {
            "MOCKMIND_LLM_PROVIDER": "offline",
            "MOCKMIND_STORAGE": "memory",
            # This checkout's code, whichever one the virtualenv installed (editable).
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
    )
    env.update(extra)
    return env


# Dummy credentials for a moto server on loopback: no request ever leaves this machine.
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_s3(log_name: str) -> Iterator[tuple[str, Any]]:
    """A moto server on a free loopback port, and an S3 client for it."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    WORK.mkdir(parents=True, exist_ok=True)
    command = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with running(command, env=bench_env(**MOTO_ENV), log=WORK / log_name) as proc:
        wait_http(endpoint + "/moto-api/", timeout=30, proc=proc)
        yield endpoint, moto_client("s3", endpoint)


def moto_client(service: str, endpoint: str) -> Any:
    """A boto3 client for the moto server at ``endpoint``."""
    import boto3  # noqa: PLC0415 - only the benchmarks that need AWS pay for the import
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # As many connections as the vector index's parallel GETs (app/aws.py).
        config=Config(max_pool_connections=16),
    )


PRISM_VERSION = "5.14.2"
PRISM_DIR = WORK / "prism"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"


def ensure_wrk() -> str | None:
    """wrk's path, installing Debian's package when missing and root; None with the reason."""
    import shutil  # noqa: PLC0415

    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ToolMissing("wrk is not installed and apt-get is not usable here (not root?)")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise ToolMissing(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-200:]}")
    found = shutil.which("wrk")
    if not found:
        raise ToolMissing("apt-get installed wrk but it is not on PATH")
    return found


def ensure_prism() -> Path:
    """Prism's launcher under bench/.work/prism (npm install on first use)."""
    import shutil  # noqa: PLC0415

    if PRISM_BIN.exists():
        return PRISM_BIN
    if not shutil.which("npm") or not shutil.which("node"):
        raise ToolMissing("node and npm are needed for Stoplight Prism and are not installed")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    (PRISM_DIR / "package.json").write_text('{"name": "prism-bench", "private": true}\n')
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", f"@stoplight/prism-cli@{PRISM_VERSION}"],
        cwd=PRISM_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not PRISM_BIN.exists():
        tail = (done.stderr or done.stdout).strip()[-300:]
        raise ToolMissing(f"npm install @stoplight/prism-cli@{PRISM_VERSION} failed: {tail}")
    return PRISM_BIN


class ToolMissing(RuntimeError):
    """A tool a row needs could not be had; the row is skipped with this reason."""


def upload_vector_index(
    s3: Any,
    bucket: str,
    namespace: str,
    rows: Any,
    quantization: str,
    ids: list[str],
    metadata: list[dict[str, Any]],
) -> tuple[list[str], int]:
    """One shard of unit rows in the layout BlobVectorMemory's compaction writes (format 3,
    `mockmind.adapters.vectors.format`), as n adds would first be n delta objects; the keys a
    cold start loads, and their bytes.

    int8: the codes, the float32 object beside them, and each row's error bound.
    """
    # The benchmarks without vectors skip these imports (numpy).
    from mockmind.adapters.vectors.format import (  # noqa: PLC0415
        INDEX,
        ShardEntry,
        encode_index,
        encode_matrix,
        int8_fields,
        new_index,
    )
    from mockmind.adapters.vectors.index import quantize  # noqa: PLC0415

    base = f"vectors/{namespace}/"
    entry: ShardEntry = {
        "key": "shards/bench.npy",
        "dtype": "float32",
        "ids": ids,
        "metadata": metadata,
    }
    exact = encode_matrix(rows)
    shard = exact
    if quantization == "int8":
        codes = quantize(rows)
        s3.put_object(Bucket=bucket, Key=base + "shards/bench.f32.npy", Body=exact)
        shard = encode_matrix(codes)
        entry |= int8_fields("shards/bench.f32.npy", len(exact) - rows.nbytes, rows, codes)
    body = encode_index(new_index(quantization, rows.shape[1], [entry]))
    s3.put_object(Bucket=bucket, Key=base + "shards/bench.npy", Body=shard)
    s3.put_object(Bucket=bucket, Key=base + INDEX, Body=body)
    return [base + INDEX, base + "shards/bench.npy"], len(shard) + len(body)


RESULTS = BENCH / "RESULTS.md"


def section_text(text: str, title: str) -> str | None:
    """The markdown of the section ``## title`` in ``text`` (up to the next ``## ``), or None."""
    start = text.find(f"\n## {title}\n")
    if start < 0:
        return None
    end = text.find("\n## ", start + 1)
    return text[start + 1 : end + 1 if end >= 0 else len(text)]


def replace_section(text: str, title: str, markdown: str) -> str:
    """``text`` with the section ``## title`` replaced by ``markdown``, or with it appended."""
    markdown = markdown.rstrip("\n") + "\n\n"
    old = section_text(text, title)
    if old is None:
        return text.rstrip("\n") + "\n\n" + markdown
    return text.replace(old, markdown, 1)


def _number(heading: str) -> int:
    """The row number a section's title (or its summary line) starts with; unnumbered last."""
    match = re.match(r"(?:## |- )?(\d+)\.", heading)
    return int(match.group(1)) if match else 10**6


def in_number_order(text: str) -> str:
    """``text`` with its numbered sections, and the Summary's lines, in row order (9 before
    10, which a sort by title puts the other way round). Sections written one at a time
    (`make conformance`, `make mutation`) are appended; this puts them in their place."""
    first = text.find("\n## ")
    if first < 0:
        return text
    head, body = text[: first + 1], text[first + 1 :]
    sections = [part for part in re.split(r"(?m)^(?=## )", body) if part.strip()]
    summary = [part for part in sections if part.startswith("## Summary\n")]
    numbered = sorted(
        (part for part in sections if not part.startswith("## Summary\n")), key=_number
    )
    ordered = []
    for part in summary:
        lines = part.rstrip("\n").split("\n")
        rows = sorted((line for line in lines if re.match(r"- \d+\.", line)), key=_number)
        rest = [line for line in lines if not re.match(r"- \d+\.", line)]
        ordered.append("\n".join(rest + rows))
    ordered += [part.rstrip("\n") for part in numbered]
    return head + "\n\n".join(ordered) + "\n"


def replace_summary_line(text: str, title: str, line: str) -> str:
    """``text`` with the Summary's line for ``title`` set to ``line`` (added when missing)."""
    summary = section_text(text, "Summary")
    if summary is None:
        return text
    kept = [row for row in summary.rstrip("\n").split("\n") if not row.startswith(f"- {title}:")]
    return text.replace(summary, "\n".join([*kept, line]) + "\n\n", 1)


def summary_line(section: Section) -> str:
    """The section's line in the summary: its targets met and not met, and its status."""
    cells = [c for row in section.rows for c in row]
    met = sum(c.startswith("met") for c in cells) + sum("; met" in c for c in cells)
    missed = sum(c.count("**not met**") for c in cells)
    parts = [f"{met} target(s) met, {missed} not met"] if met or missed else []
    parts += section.status
    return f"- {section.title}: " + ("; ".join(parts) if parts else "measured (no target)")


def write_section(section: Section, target: Path = RESULTS) -> Path:
    """Put one section into RESULTS.md in place (a benchmark run on its own, such as `make
    conformance`), leaving the others as they are; `make bench` keeps it (run.py, KEPT)."""
    text = target.read_text() if target.exists() else "# Benchmark results\n\n## Summary\n\n"
    text = replace_section(text, section.title, section.markdown())
    text = replace_summary_line(text, section.title, summary_line(section))
    target.write_text(in_number_order(text))
    return target
