"""The Huffman tree of hierarchical softmax (word2vec.c's ``CreateBinaryTree``).

Hierarchical softmax replaces the V output vectors of a softmax by a binary tree
whose V leaves are the words and whose V - 1 inner nodes each hold one vector.
The probability of word w given an input vector h is the product, over the
inner nodes on the path from the root to w, of sigmoid(+-h . node): at each
node the path goes left (code 0) or right (code 1). A Huffman tree built from
the word counts gives frequent words short paths, so the average number of
nodes per training word is about the entropy of the unigram distribution
(log2 V at worst) instead of V.

Numbering follows word2vec.c so that a reader can compare the two:

* leaves are the word ids 0..V-1 (the vocabulary, most frequent first);
* inner nodes are numbered 0..V-2 in the order they are created (the two
  lightest free nodes merged first), so the root is V - 2; row i of the
  hierarchical-softmax output matrix (``syn1``) is the vector of inner node i;
* for word w with a path of ``lengths[w]`` nodes, ``points[w, d]`` is the inner
  node at depth d (``points[w, 0]`` is the root) and ``codes[w, d]`` the branch
  taken there (0 or 1). word2vec.c's gradient at that node is
  ``g = (1 - code - sigmoid(h . node)) * alpha``: code 0 is label 1.

Building the tree takes O(V) time for counts already sorted (the vocabulary
always is; other input is sorted first, O(V log V)): the leaves, read from the
rarest up, and the inner nodes, in the order they are created, are two queues
that are each sorted by weight, so the two lightest free nodes are always at
the head of one of them. No heap is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass
class HuffmanTree:
    """The paths of every word: arrays ready for the kernels.

    ``codes``: uint8 (V, max_length), ``points``: int32 (V, max_length), both
    valid in columns ``[:lengths[w]]`` of row w (the rest is 0). ``lengths``:
    int32 (V,). A vocabulary of one word has no inner nodes and paths of
    length 0 (nothing to predict); ``max_length`` is then 0 and the arrays
    keep one dummy column.
    """

    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray

    @property
    def n_inner(self) -> int:
        """Number of inner nodes: V - 1 (0 for a one-word vocabulary)."""
        return max(self.lengths.shape[0] - 1, 0)

    @property
    def max_length(self) -> int:
        return int(self.lengths.max()) if self.lengths.shape[0] else 0

    def path(self, word: int) -> tuple[np.ndarray, np.ndarray]:
        """(inner nodes, codes) from the root down to leaf ``word``."""
        n = self.lengths[word]
        return self.points[word, :n], self.codes[word, :n]


def build_huffman(counts: np.ndarray) -> HuffmanTree:
    """The Huffman tree of word ``counts`` (any order; ties as word2vec.c breaks them)."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1 or counts.shape[0] == 0:
        raise ValueError("build_huffman needs a non-empty 1-D array of counts")
    if np.all(counts[:-1] >= counts[1:]):
        codes, points, lengths = _tree_of_sorted(counts)
        return HuffmanTree(codes, points, lengths)
    order = np.argsort(-counts, kind="stable")  # most frequent first
    codes, points, lengths = _tree_of_sorted(counts[order])
    # Word order[i] got path i; leaf ids in the paths are never stored, only inner nodes.
    out = HuffmanTree(np.empty_like(codes), np.empty_like(points), np.empty_like(lengths))
    out.codes[order], out.points[order], out.lengths[order] = codes, points, lengths
    return out


@njit(cache=True)
def _tree_of_sorted(counts):
    """Codes, points and lengths for ``counts`` sorted most frequent first."""
    n = counts.shape[0]
    # Nodes 0..n-1 are the leaves; node n + a is inner node a (created in step a).
    weight = np.empty(2 * n - 1, dtype=np.int64)
    weight[:n] = counts
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    branch = np.zeros(2 * n - 1, dtype=np.uint8)  # the code of the edge from the parent
    leaf = n - 1  # the lightest leaf not yet merged (leaves are sorted heaviest first)
    inner = n  # the lightest inner node not yet merged (inner nodes are created lightest first)
    for a in range(n - 1):
        new = n + a
        picked = np.empty(2, dtype=np.int64)
        for side in range(2):
            # Take the leaf only when strictly lighter than the head of the inner
            # queue (word2vec.c's tie rule); inner nodes not yet created do not count.
            if leaf >= 0 and (inner >= new or weight[leaf] < weight[inner]):
                picked[side] = leaf
                leaf -= 1
            else:
                picked[side] = inner
                inner += 1
        weight[new] = weight[picked[0]] + weight[picked[1]]
        parent[picked[0]] = new
        parent[picked[1]] = new
        branch[picked[1]] = 1  # the heavier of the two is the 1 side, as in word2vec.c
    # Depth of every node: a parent is always created after its children, so one
    # pass from the root (the last node) downwards sees each parent before its children.
    root = 2 * n - 2
    depth = np.zeros(2 * n - 1, dtype=np.int64)
    for node in range(root - 1, -1, -1):
        depth[node] = depth[parent[node]] + 1
    max_length = 0
    for w in range(n):
        max_length = max(max_length, depth[w])
    codes = np.zeros((n, max(max_length, 1)), dtype=np.uint8)
    points = np.zeros((n, max(max_length, 1)), dtype=np.int32)
    lengths = np.empty(n, dtype=np.int32)
    for w in range(n):
        length = depth[w]
        lengths[w] = length
        node = w
        for d in range(length - 1, -1, -1):  # walk up from the leaf, filling from the end
            codes[w, d] = branch[node]
            node = parent[node]
            points[w, d] = node - n  # the inner node at depth d, where the code is decided
    return codes, points, lengths


def path_probabilities(tree: HuffmanTree, nodes: np.ndarray, h: np.ndarray) -> np.ndarray:
    """p(w | h) for every word w under hierarchical softmax, in float64.

    ``nodes``: the (V - 1, dim) inner-node vectors; ``h``: one input vector.
    p(w | h) = prod over depth d of sigmoid((1 - 2 codes[w, d]) * h . nodes[points[w, d]]);
    over the whole vocabulary these sum to 1 (each inner node splits its mass
    between its two children). For tests and for readers; not fast.
    """
    scores = np.asarray(nodes, dtype=np.float64) @ np.asarray(h, dtype=np.float64)
    out = np.ones(tree.lengths.shape[0])
    for w in range(tree.lengths.shape[0]):
        points, codes = tree.path(w)
        sign = 1.0 - 2.0 * codes
        out[w] = np.prod(1.0 / (1.0 + np.exp(-sign * scores[points])))
    return out
