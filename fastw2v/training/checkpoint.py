"""Checkpoints: the whole training state in one file, written atomically.

A checkpoint is a NumPy ``.npz`` archive (uncompressed, no pickles) holding
the vocabulary, both matrices (and the NCE biases), which chunks of the epoch under way are done,
and a JSON header with the options, the position (epoch, words done, loss so
far), the time spent and facts about the run (the corpus files, the output).
Random states need no saving: each chunk's generator is seeded from (seed,
epoch, chunk) and the learning rate follows the corpus position, so training
from a checkpoint continues exactly; with one thread the vectors come out
bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict

import numpy as np

from ..engine.losses import output_rows
from ..errors import FastW2VError
from ..files import atomic_write
from ..text.vocab import Vocabulary
from .model import TrainOptions, TrainState, TrainStats, Word2VecModel, aligned_zeros

FORMAT = "fastw2v-checkpoint"
VERSION = 1


def save_checkpoint(path, model: Word2VecModel, state: TrainState, info: dict | None = None) -> None:
    """Write ``model`` and ``state`` to ``path`` (atomically: all or nothing)."""
    header = {
        "format": FORMAT, "version": VERSION, "options": asdict(model.options),
        "state": {"epoch": state.epoch, "words_done": state.words_done,
                  "epoch_words": state.epoch_words, "epoch_loss": state.epoch_loss,
                  "train_seconds": state.train_seconds, "epoch_losses": state.epoch_losses},
        "stats": {"words_per_epoch": model.stats.words_per_epoch,
                  "prepare_seconds": model.stats.prepare_seconds},
        "info": info or {},
    }
    words = "\n".join(model.vocab.words).encode("utf-8", "surrogatepass")
    arrays = {
        "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        "words": np.frombuffer(words, dtype=np.uint8),
        "counts": model.vocab.counts,
        "syn0": model.input_vectors,
        "syn1": model.output_vectors,  # hs: the V - 1 inner nodes
        "biases": model.biases if model.biases is not None else np.zeros(0, np.float32),  # nce
        "chunk_done": state.chunk_done if state.chunk_done is not None else np.zeros(0, np.uint8),
    }
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def read_info(path) -> dict:
    """The run facts saved with a checkpoint (corpus files, output settings), read alone."""
    return _read_header(path)["info"]


def _read_header(path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes())
    except FileNotFoundError:
        raise FastW2VError(f"checkpoint not found: {path}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise FastW2VError(f"cannot read checkpoint {path}: not a fastw2v checkpoint")
    if header.get("version") != VERSION:
        raise FastW2VError(f"cannot read checkpoint {path}: version {header.get('version')} "
                           "is not supported")
    return header


def load_checkpoint(path) -> tuple[Word2VecModel, TrainState, dict]:
    """Read a checkpoint: the model as it was, the training state, and the run facts."""
    header = _read_header(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            words = z["words"].tobytes().decode("utf-8", "surrogatepass").split("\n")
            counts = z["counts"]
            syn0, syn1, chunk_done = z["syn0"], z["syn1"], z["chunk_done"].copy()
            biases = z["biases"].copy() if "biases" in z.files else np.zeros(0, np.float32)
    except FileNotFoundError:
        raise FastW2VError(f"checkpoint not found: {path}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: {exc}") from None
    options = TrainOptions(**header["options"])
    vocab = Vocabulary(words, counts)
    n, dim = syn0.shape
    if (len(words) != n or syn1.shape != (output_rows(options.loss, n), dim) or dim != options.dim
            or biases.shape != ((n,) if options.loss == "nce" else (0,))):
        raise FastW2VError(f"cannot read checkpoint {path}: inconsistent shapes")
    in_padded, out_padded = aligned_zeros(n, dim), aligned_zeros(syn1.shape[0], dim)
    in_padded[:, :dim] = syn0
    out_padded[:, :dim] = syn1
    s = header["state"]
    state = TrainState(epoch=s["epoch"], chunk_done=chunk_done, words_done=s["words_done"],
                       epoch_words=s["epoch_words"], epoch_loss=s["epoch_loss"],
                       train_seconds=s["train_seconds"], epoch_losses=list(s["epoch_losses"]))
    stats = TrainStats(**header["stats"])
    model = Word2VecModel(vocab, in_padded, out_padded, options, stats,
                          biases=biases.astype(np.float32) if options.loss == "nce" else None)
    return model, state, header["info"]
