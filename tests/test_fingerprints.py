"""Fingerprints of trained outputs: a restructuring of the engine must not drift silently.

At ``threads=1`` a seed gives bit-identical vectors, so every combination of
model, update rule and loss is pinned here by the SHA-256 of what it writes:
the word2vec text file of the input vectors (what ``-o`` holds), and the raw
float32 bytes of the output layer (and of NCE's biases).

The bits depend on the vector code the compiler makes for this processor (the
order of the float additions in a fastmath dot product follows the vector
width), so fingerprints are kept per LLVM host CPU name. On a processor with no
recorded fingerprints the test is skipped and says how to record them:
``python tests/test_fingerprints.py`` prints the table for this machine.

When a change must alter these outputs (a bug fix, a different order of
operations), record the new fingerprints in the same commit and say why in its
message; scores over several seeds must show the change is harmless.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import TEXT8  # noqa: E402

import fastw2v  # noqa: E402

WORDS = 150_000  # the first words of the bundled text8 sample
LINE_WORDS = 1000
SETTINGS = dict(dim=20, window=3, negative=3, min_count=5, epochs=2, threads=1, seed=1, sample=1e-3)
COMBINATIONS = [(model, batching, loss) for model in ("sg", "cbow")
                for batching in ("shared-negatives", "none") for loss in ("ns", "nce", "hs")]

# LLVM host CPU name -> "model/batching/loss" -> fingerprint.
FINGERPRINTS: dict[str, dict[str, str]] = {
    # recorded at 376db97 (the commit that added this test, before the engine and trust work)
    'znver4': {
        'sg/shared-negatives/ns': '71b3ef515a78dfbf3ec93a24be559df5',
        'sg/shared-negatives/nce': 'f052749431dda06999597b09420e7045',
        'sg/shared-negatives/hs': '5d87dbecd1fcdf0892bfae58a3c6d2f4',
        'sg/none/ns': 'd02d4b660f3de73e6b33245efe088787',
        'sg/none/nce': '37d5f3b8ccc7c2f5e68de0b03235f311',
        'sg/none/hs': '483130a17f53a274afa296c3399f6494',
        'cbow/shared-negatives/ns': '2e213bfc558899f30b1b08a191670905',
        'cbow/shared-negatives/nce': '55d47d119ace13e570d78fbd70cffb88',
        'cbow/shared-negatives/hs': '8b8f5f5f4ce73e9d3d90ae5f554a6796',
        'cbow/none/ns': '2e213bfc558899f30b1b08a191670905',
        'cbow/none/nce': '55d47d119ace13e570d78fbd70cffb88',
        'cbow/none/hs': '8b8f5f5f4ce73e9d3d90ae5f554a6796',
    },
    # recorded at 376db97 (before the engine and trust work), 2026-12-01
    'emeraldrapids': {
        'sg/shared-negatives/ns': '0d4f18ed10e732712778b1630b700d6a',
        'sg/shared-negatives/nce': 'e751e01a597a018e0cbcdcd12c58ea36',
        'sg/shared-negatives/hs': '1146d3e10ffbf826bd816c9006f48a19',
        'sg/none/ns': 'a72d7df1e96fc6c533a9983b2123d3e5',
        'sg/none/nce': '1c129aa6537ef09b8bcb77b662748798',
        'sg/none/hs': '485f6e24b990e2443c389773f805df48',
        'cbow/shared-negatives/ns': 'c2fdefba76be5e9a889f960844b76ff2',
        'cbow/shared-negatives/nce': '312c78b229197330203b06063caa1e7f',
        'cbow/shared-negatives/hs': '622b9c7352b73932f9dbeef70c4476c7',
        'cbow/none/ns': 'c2fdefba76be5e9a889f960844b76ff2',
        'cbow/none/nce': '312c78b229197330203b06063caa1e7f',
        'cbow/none/hs': '622b9c7352b73932f9dbeef70c4476c7',
    },
}

# znver3 (this CI machine's AMD EPYC) makes the same bits as emeraldrapids: recorded at
# 376db97 on 2026-12-06, and unchanged at the engine's head.
FINGERPRINTS["znver3"] = FINGERPRINTS["emeraldrapids"]


def host_cpu() -> str:
    import llvmlite.binding as ll

    return ll.get_host_cpu_name()


def write_corpus(path: Path) -> Path:
    with gzip.open(TEXT8, "rb") as f:
        words = f.read(WORDS * 12).split()[:WORDS]
    lines = [b" ".join(words[i:i + LINE_WORDS]) for i in range(0, len(words), LINE_WORDS)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def fingerprint(corpus: Path, model: str, batching: str, loss: str, workdir: Path) -> str:
    trained = fastw2v.train([str(corpus)], model=model, batching=batching, loss=loss, **SETTINGS)
    vectors = workdir / f"{model}-{batching}-{loss}.txt"
    trained.save(vectors)
    h = hashlib.sha256(vectors.read_bytes())
    h.update(np.ascontiguousarray(trained.output_vectors, dtype="<f4").tobytes())
    if trained.biases is not None:
        h.update(np.ascontiguousarray(trained.biases, dtype="<f4").tobytes())
    return h.hexdigest()[:32]


def all_fingerprints(workdir: Path) -> dict[str, str]:
    corpus = write_corpus(workdir / "corpus.txt")
    return {f"{m}/{b}/{loss}": fingerprint(corpus, m, b, loss, workdir) for m, b, loss in COMBINATIONS}


@pytest.fixture(scope="module")
def recorded() -> dict[str, str]:
    cpu = host_cpu()
    if cpu not in FINGERPRINTS:
        pytest.skip(f"no fingerprints recorded for CPU {cpu!r}; run `python tests/test_fingerprints.py` "
                    "at a known-good commit to record them")
    return FINGERPRINTS[cpu]


@pytest.fixture(scope="module")
def computed(tmp_path_factory) -> dict[str, str]:
    return all_fingerprints(tmp_path_factory.mktemp("fingerprints"))


@pytest.mark.parametrize("model,batching,loss", COMBINATIONS)
def test_outputs_match_their_fingerprints(recorded, computed, model, batching, loss):
    key = f"{model}/{batching}/{loss}"
    assert computed[key] == recorded[key], key


def test_fingerprints_tell_the_combinations_apart(computed):
    """CBOW ignores the skip-gram update rule; every other combination differs."""
    for loss in ("ns", "nce", "hs"):
        assert computed[f"cbow/shared-negatives/{loss}"] == computed[f"cbow/none/{loss}"]
    distinct = {v for k, v in computed.items() if not k.startswith("cbow/none/")}
    assert len(distinct) == 9


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        table = all_fingerprints(Path(tmp))
    print(f"    {host_cpu()!r}: {{")
    for key, value in table.items():
        print(f"        {key!r}: {value!r},")
    print("    },")
