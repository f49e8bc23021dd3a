"""2. Cold start: import the handler in AWS mode, which loads the vector index from S3 (moto).

Each measurement is a fresh interpreter, timed from inside (interpreter start-up is the same
for both and left out). The floor fetches the objects the index loads (its ``index.json`` and
the shard it reads) with boto3 alone, in parallel, and keeps the bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import (
    MOTO_ENV,
    RESULTS,
    ROOT,
    WORK,
    Section,
    bench_env,
    fmt_bytes,
    fmt_ratio,
    fmt_s,
    moto_client,
    moto_s3,
    section_text,
    upload_vector_index,
    verdict,
)
from mockmind.adapters.aws.provisioning import create_table

DIMS = 1536
SIZES = (10_000, 100_000)
FORMATS = ("int8", "none")
REPEAT = 3
NAMESPACE = "interactions"
TARGET_RATIO = 1.5
TITLE = "2. Cold start (handler import + vector index from S3)"
# Issue 12, item 9: a mock-only start's CPU at most this share of the tree compared with.
MOCK_ONLY_TARGET = 0.6
MOCK_ONLY_NOTE = "A mock-only start (issue 12, item 9)"
SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
_TABLE = "bench-coldstart"

_AWS = MOTO_ENV

FULL = """
import json, os, time
t0 = time.perf_counter()
import mockmind.handler
t1 = time.perf_counter()
memory = mockmind.handler.app.container.memory
print(json.dumps({"import": t1 - t0, "count": memory.vectors.count(%r)}))
"""

# The app's modules alone, without the index: what the import costs by itself.
MODULES = """
import json, time
t0 = time.perf_counter()
import mangum, mockmind.app.api, mockmind.app.bootstrap, mockmind.app.aws
print(json.dumps({"import": time.perf_counter() - t0}))
"""

FLOOR = """
import json, os, time
from concurrent.futures import ThreadPoolExecutor
t0 = time.perf_counter()
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                  config=Config(max_pool_connections=16))
bucket = os.environ["MOCKMIND_BUCKET"]
keys = json.loads(os.environ["BENCH_KEYS"])
with ThreadPoolExecutor(16) as pool:
    bodies = list(pool.map(lambda k: s3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys))
t1 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "bytes": sum(map(len, bodies))}))
"""


def _upload(s3: Any, bucket: str, n: int, quantization: str) -> tuple[list[str], int]:
    rng = np.random.default_rng(n)
    matrix = rng.standard_normal((n, DIMS), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    s3.create_bucket(Bucket=bucket)
    ids = [f"i{k:06d}" for k in range(n)]
    metadata = [{"session_id": f"s{k % 100}", "n": k} for k in range(n)]
    return upload_vector_index(s3, bucket, NAMESPACE, matrix, quantization, ids, metadata)


def _config(directory: Path, quantization: str) -> Path:
    """The shop, with the vector store on."""
    text = SHOP.read_text().replace("openapi: openapi.yaml", f"openapi: {SHOP.parent}/openapi.yaml")
    on = f"  vector_store:\n    enabled: true\n    quantization: {quantization}\n"
    text = text.replace("  vector_store:\n    enabled: false\n", on)
    if on not in text:
        raise RuntimeError(f"{SHOP} has no 'vector_store: enabled: false' block to turn on")
    path = directory / f"mockmind-{quantization}.yaml"
    path.write_text(text)
    return path


def _child(code: str, env: dict[str, str], *, isolated: bool = False) -> dict[str, Any]:
    # -S: no site-packages of this virtualenv (nor its editable mockmind), only PYTHONPATH.
    flags = ["-S"] if isolated else []
    out = subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "no output")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# A Lambda package: the function's code and the layer, read-only, and boto3 from the runtime.
# The CPU time is the steadier figure on a machine shared with other work.
PACKAGE_IMPORT = """
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import mockmind.handler
print(json.dumps({"import": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "from": mockmind.handler.__file__}))
"""


# The compare mode's child: the import, then the first request as Lambda runs it (the function's
# name set), which pays for what the handler builds on first use (its request log and metrics,
# app/lambda_telemetry.py); what it prints is kept out of the child's output.
IMPORT_AND_FIRST_REQUEST = """
import contextlib, io, json, time, types
t0, c0 = time.perf_counter(), time.process_time()
import mockmind.handler
t1, c1 = time.perf_counter(), time.process_time()
event = json.loads(open(%r).read())
context = types.SimpleNamespace(aws_request_id="bench", get_remaining_time_in_millis=lambda: 29_000)
with contextlib.redirect_stdout(io.StringIO()):
    status = mockmind.handler.handler(event, context)["statusCode"]
t2, c2 = time.perf_counter(), time.process_time()
assert status == 200, status
print(json.dumps({"import": t1 - t0, "cpu": c1 - c0, "first": t2 - t1, "first_cpu": c2 - c1,
                  "from": mockmind.handler.__file__}))
"""


def _lambda_package(source: Path = ROOT, name: str = "function") -> tuple[Path, Path]:
    """The function and layer directories as `sam build` lays them out, for this machine.

    The layer in .aws-sam is for arm64 and cannot run here, so its requirements are installed
    again for this platform (once; kept until requirements.txt changes). ``source`` is the
    tree whose ``src/mockmind`` becomes the function (another checkout, to compare with).
    """
    root = WORK / "lambda-package"
    layer, function = root / "python", root / name
    requirements = ROOT / "layers" / "dependencies" / "requirements.txt"
    stamp = root / "requirements.txt"
    if not (stamp.exists() and stamp.read_text() == requirements.read_text()):
        shutil.rmtree(root, ignore_errors=True)
        layer.mkdir(parents=True)
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        pip += ["--requirement", str(requirements), "--target", str(layer), "--only-binary=:all:"]
        subprocess.run(pip, check=True, capture_output=True, timeout=600)
        stamp.write_text(requirements.read_text())
    shutil.rmtree(function, ignore_errors=True)
    shutil.copytree(
        source / "src" / "mockmind",
        function / "mockmind",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return function, layer


def _without_bytecode(*directories: Path) -> None:
    for directory in directories:
        for cache in list(directory.rglob("__pycache__")):
            shutil.rmtree(cache, ignore_errors=True)


def _with_bytecode(*directories: Path) -> None:
    """What the Makefile's build-* targets do after installing."""
    compileall = [sys.executable, "-m", "compileall", "-q", "-f", "-j", "0"]
    compileall += ["--invalidation-mode", "unchecked-hash", *map(str, directories)]
    subprocess.run(compileall, check=True, capture_output=True, timeout=600)


def _package_env(function: Path, layer: Path) -> dict[str, str]:
    """As Lambda runs it: no site-packages but the runtime's (boto3), code directories that
    cannot be written (no bytecode is saved), memory stores and the offline generator, and the
    template's own variables."""
    import boto3  # noqa: PLC0415 (only to find the runtime's site-packages)

    runtime = Path(boto3.__file__).resolve().parent.parent
    return bench_env(
        MOCKMIND_CONFIG=str(SHOP),
        MOCKMIND_STORAGE="memory",
        MOCKMIND_LLM_PROVIDER="offline",
        PYDANTIC_DISABLE_PLUGINS="__all__",  # template.yaml, Globals
        PYTHONPATH=os.pathsep.join(map(str, (function, layer, runtime))),
        PYTHONDONTWRITEBYTECODE="1",
    )


def package_import() -> tuple[float, float]:
    """Median import of the handler from a Lambda-like package, without and with bytecode."""
    function, layer = _lambda_package()
    env = _package_env(function, layer)
    medians = []
    for prepare in (_without_bytecode, _with_bytecode):
        prepare(function, layer)
        runs = [_child(PACKAGE_IMPORT, env, isolated=True) for _ in range(REPEAT)]
        assert all(r["from"].startswith(str(function)) for r in runs), runs
        medians.append(statistics.median(r["import"] for r in runs))
    return medians[0], medians[1]


COMPARED = ("import", "cpu", "first", "first_cpu")


def compare_package_import(other: Path, repeat: int = 15) -> dict[str, dict[str, float]]:
    """The handler's import from bytecode and its first request, this tree's against
    ``other``'s (another checkout), interleaved in one run so both see the same machine;
    medians in seconds."""
    trees = {"other": _lambda_package(other, "function-other"), "this": _lambda_package()}
    _with_bytecode(*(function for function, _ in trees.values()), trees["this"][1])
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    script = IMPORT_AND_FIRST_REQUEST % str(ROOT / "events" / "get.json")
    for _ in range(repeat):
        for name, (function, layer) in trees.items():
            env = {**_package_env(function, layer), "AWS_LAMBDA_FUNCTION_NAME": "bench"}
            run = _child(script, env, isolated=True)
            assert run["from"].startswith(str(function)), run
            runs[name].append(run)
    return {
        name: {measure: statistics.median(r[measure] for r in done) for measure in COMPARED}
        for name, done in runs.items()
    }


def run() -> Section:
    section = Section(
        TITLE,
        f"""
A fresh interpreter imports `mockmind.handler` in AWS mode (examples/shop with the vector
store on, DynamoDB stores, offline), which loads an index of n vectors of {DIMS:,} dims from
S3: the config loads first, then the index loads in a thread while the app's modules import
(`mockmind/app/cold_start.py`). The floor is a fresh interpreter importing boto3 and GETting
the objects the index loads, in parallel. S3 is a moto server on loopback; median of
{REPEAT} runs each. int8 is the default format (issue 7); float32 is `quantization: none`.
""",
        [
            "n",
            "format",
            "bytes loaded",
            "floor: GET the bytes",
            "import handler (index loaded)",
            "vs floor",
            "target",
        ],
    )
    with (
        moto_s3("moto.log") as (endpoint, s3),
        tempfile.TemporaryDirectory() as scratch,
    ):
        base_env = bench_env(**_AWS, AWS_ENDPOINT_URL=endpoint, POWERTOOLS_LOG_LEVEL="ERROR")
        # The shop seeds its shared entities at start.
        create_table(moto_client("dynamodb", endpoint), _TABLE)
        modules = statistics.median(_child(MODULES, base_env)["import"] for _ in range(REPEAT))
        for n in SIZES:
            for quantization in FORMATS:
                bucket = f"bench-vectors-{n}-{quantization}"
                keys, size = _upload(s3, bucket, n, quantization)
                env = bench_env(
                    **_AWS,
                    AWS_ENDPOINT_URL=endpoint,
                    MOCKMIND_BUCKET=bucket,
                    MOCKMIND_STORAGE="aws",
                    MOCKMIND_TABLE=_TABLE,
                    MOCKMIND_CONFIG=str(_config(Path(scratch), quantization)),
                    BENCH_KEYS=json.dumps(keys),
                    POWERTOOLS_LOG_LEVEL="ERROR",
                )
                floors = [_child(FLOOR, env) for _ in range(REPEAT)]
                assert all(f["bytes"] == size for f in floors)
                floor = statistics.median(f["load"] for f in floors)
                fulls = [_child(FULL % NAMESPACE, env) for _ in range(REPEAT)]
                assert all(f["count"] == n for f in fulls), fulls
                total = statistics.median(f["import"] for f in fulls)
                section.row(
                    f"{n:,}",
                    "int8" if quantization == "int8" else "float32",
                    fmt_bytes(size),
                    fmt_s(floor),
                    fmt_s(total),
                    fmt_ratio(total / floor),
                    verdict(total / floor <= TARGET_RATIO, f"≤ {TARGET_RATIO}x floor"),
                )
                for key in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=key["Key"])  # let moto free the shards
    section.notes.append(
        f"The app's modules alone (mangum, the app, boto3 for the AWS adapters) import in "
        f"{fmt_s(modules)}: the floor of any cold start of this handler, whatever the index."
    )
    from_source, compiled = package_import()
    section.notes.append(
        f"The deployed package: SAM's own Python build ships no bytecode, and Lambda cannot "
        f"write any, so every cold start compiled the app and its layer from source: the "
        f"handler (memory stores, offline) imported in {fmt_s(from_source)} from a package laid "
        f"out as Lambda runs it, against {fmt_s(compiled)} with the unchecked-hash bytecode "
        f"the Makefile's build-* targets now add ({fmt_ratio(from_source / compiled)} slower). "
        f"The rows above import with bytecode, as the deployed package now does."
    )
    section.notes.append(
        "The index objects are written by the benchmark in the adapter's documented layout "
        "(`src/mockmind/adapters/vectors/format.py`), not through `add` (one PUT per vector)."
    )
    return section


def _revision(tree: Path) -> str:
    """The tree's commit, short, marked when its files differ from it."""
    git = ["git", "-C", str(tree)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, check=False
    )
    name = head.stdout.strip() or str(tree)
    return f"{name} with changes" if dirty.stdout.strip() else name


def together(found: dict[str, float]) -> float:
    """The CPU of the import and of the first request, each a median of its own."""
    return found["cpu"] + found["first_cpu"]


def compare_note(other: Path, found: dict[str, dict[str, float]], repeat: int) -> str:
    """The comparison as section 2's note: the figures, the trees and the command."""
    this, base = found["this"], found["other"]
    ratio = this["cpu"] / base["cpu"]
    met = verdict(ratio <= MOCK_ONLY_TARGET, f"≤ {MOCK_ONLY_TARGET}x")
    return (
        f"{MOCK_ONLY_NOTE}: the shop handler's import from bytecode (memory stores, no vector "
        f"store, offline; the package laid out as Lambda runs it) at {_revision(ROOT)} against "
        f"{_revision(other)}, interleaved in one run, median of {repeat}: "
        f"{this['cpu'] * 1000:.0f} ms of CPU against {base['cpu'] * 1000:.0f} ms "
        f"({ratio:.2f}x; target {met}), wall {this['import'] * 1000:.0f} against "
        f"{base['import'] * 1000:.0f} ms; the first GET /products after it "
        f"{this['first_cpu'] * 1000:.0f} against {base['first_cpu'] * 1000:.0f} ms of CPU, "
        f"so the import and the first request together {together(this) * 1000:.0f} against "
        f"{together(base) * 1000:.0f} ms ({together(this) / together(base):.2f}x: what a start "
        f"defers to the first request shows there) "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: CPU is the figure). "
        f"`PYTHONPATH=$PWD/src:$PWD python bench/coldstart.py --against {other} "
        f"--repeat {repeat} --write`"
    )


def write_compare_note(note: str, target: Path = RESULTS) -> Path:
    """Put ``note`` among section 2's notes in place of the last one written, the rest of
    RESULTS.md as it is."""
    text = target.read_text()
    section = section_text(text, TITLE)
    if section is None:
        raise RuntimeError(f"{target} has no section {TITLE!r}: run `make bench` first")
    lines = [line for line in section.split("\n") if not line.startswith(f"- {MOCK_ONLY_NOTE}")]
    took = next(i for i, line in enumerate(lines) if line.startswith("_This section took"))
    lines.insert(took - 1, f"- {note}")
    target.write_text(text.replace(section, "\n".join(lines), 1))
    return target


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--against",
        type=Path,
        help="only compare the handler's import from bytecode with this checkout's",
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--write",
        action="store_true",
        help="with --against: also put the comparison among section 2's notes in RESULTS.md",
    )
    args = parser.parse_args()
    if args.write and args.against is None:
        parser.error("--write goes with --against")
    if args.against is None:
        print(run().markdown())
    else:
        found = compare_package_import(args.against, args.repeat)
        for measure in COMPARED:
            other, this = found["other"][measure], found["this"][measure]
            print(
                f"{measure}: {args.against} {other * 1000:.0f} ms, this tree {this * 1000:.0f} ms"
                f" ({this / other:.2f}x), median of {args.repeat}"
            )
        other, this = together(found["other"]), together(found["this"])
        print(
            f"cpu + first_cpu: {args.against} {other * 1000:.0f} ms, this tree "
            f"{this * 1000:.0f} ms ({this / other:.2f}x), medians of {args.repeat} added"
        )
        if args.write:
            print(f"wrote {write_compare_note(compare_note(args.against, found, args.repeat))}")
