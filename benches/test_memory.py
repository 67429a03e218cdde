"""Peak memory while logging as fast as possible: the queue bound, not the event count, must
decide it. Runs in a subprocess so the measurement is the logging alone."""

import json
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, resource, sys, tempfile, turboboard
    n = int(sys.argv[1])
    writer = turboboard.SummaryWriter(tempfile.mkdtemp())
    writer.add_scalar("warm-up", 0.0, 0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    add = writer.add_scalar
    for i in range(n):
        add("loss", i * 1e-3, i)
    writer.close()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_growth_mib": (after - before) / 1024}))
""")


@pytest.mark.benchmark(group="memory: 10^7 add_scalar, peak RSS growth")
def test_peak_rss_logging_ten_million_scalars(benchmark, library):
    if library != "turboboard":
        pytest.skip("10^7 calls take about 10 minutes with tensorboardX or torch")
    result = {}

    def run():
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(10**7)],
            capture_output=True,
            text=True,
            check=True,
            timeout=1200,
        )
        result.update(json.loads(out.stdout))

    benchmark.pedantic(run, rounds=1)
    benchmark.extra_info.update(result)
    assert result["peak_rss_growth_mib"] < 64
