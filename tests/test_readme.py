"""The README's tour runs as written."""

import re
from pathlib import Path


def test_readme_tour_runs():
    text = (Path(__file__).parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README.md has no python block"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    cell = namespace["cell"]
    assert float(cell.tau.value) == 5.0
    assert namespace["trace"].shape == (1000, 100)
    assert set(namespace["grad"]) == {"tau"}
    res = namespace["res"]
    assert res["V"].shape == (2000, 2)
    assert 10.0 < res.spikes.rate(200.0) < 40.0  # the COBA benchmark fires at about 20-22 Hz
