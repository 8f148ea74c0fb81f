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
