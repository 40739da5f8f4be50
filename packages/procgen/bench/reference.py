"""Python reference implementations of procgen's types, for the speed benchmark (bench.mjs).

The paper's approach: one numpy RandomState(seed + index) per sample and plain Python loops, producing
token lists and loss masks (no torch, so only the generation itself is timed). Written for procpt;
the logic follows the specification in packages/procgen (same tokens, lengths and masks).

Usage: python3 reference.py TYPE SECONDS  ->  prints one JSON line {"type", "samples", "tokens", "seconds"}
"""

import json
import sys
import time

import numpy as np

V, L = 100, 64
SEP, PAD = V, V + 1


def content(rng, n):
    return rng.randint(1, V, size=n).tolist()


def dedup(xs):
    seen, out = set(), []
    for t in xs:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def answer_task(prefix, answer, total):
    tokens = prefix + answer + [PAD] * (total - len(prefix) - len(answer))
    loss = [0] * len(prefix) + [1] * len(answer) + [0] * (total - len(prefix) - len(answer))
    return tokens, loss


def identity(rng):
    x = content(rng, L)
    return answer_task(x + [SEP], list(x), 2 * L + 1)


def reverse(rng):
    x = content(rng, L)
    return answer_task(x + [SEP], x[::-1], 2 * L + 1)


def sort(rng):
    x = content(rng, L)
    return answer_task(x + [SEP], sorted(x), 2 * L + 1)


def set_(rng):
    x = content(rng, L)
    return answer_task(x + [SEP], dedup(x), 2 * L + 1)


def union(rng):
    a = content(rng, L // 2)
    b = content(rng, L // 2)
    return answer_task(a + [SEP] + b + [SEP], dedup(a + b), L + 2 * (L // 2) + 2)


def delete(rng):
    x = content(rng, L)
    d = int(rng.randint(1, V))
    out, removed = [], False
    for t in x:
        if t == d and not removed:
            removed = True
        else:
            out.append(t)
    return answer_task(x + [SEP, d, SEP], out, 2 * L + 3)


def stack(rng):
    ops, st, on = [], [], set()
    for step in range(L):
        if step == L - 1 and len(st) > 1:
            on.remove(st.pop())
            ops.append(0)
            continue
        if len(st) <= 1:
            push = True
        elif step < int(L * 2 / 3):
            push = rng.random_sample() < 0.75
        else:
            push = not (rng.random_sample() < 0.75)
        free = sorted(set(range(1, V)) - on)
        if push and not free:
            push = False
        if push:
            t = free[rng.randint(0, len(free))]
            st.append(t)
            on.add(t)
            ops.append(t)
        elif st:
            on.remove(st.pop())
            ops.append(0)
    prefix = ops + [SEP]
    answer = st[::-1][: 2 * L - len(prefix)]
    return answer_task(prefix, answer, 2 * L)


def dyck(rng, k=64, n=2048, p_open=0.5):
    seq, st = [], []
    while len(seq) < n:
        remaining = n - len(seq)
        if not st:
            t = int(rng.randint(0, k))
            seq.append(t)
            st.append(t)
        elif remaining <= len(st):
            while st:
                seq.append(st.pop() + k)
        elif rng.random_sample() < p_open and len(st) < remaining - 1:
            t = int(rng.randint(0, k))
            seq.append(t)
            st.append(t)
        else:
            seq.append(st.pop() + k)
    return seq, [0] + [1] * (n - 1)


def dyck_shuffle(rng, k=64, n=2048, p_open=0.5, max_depth=16):
    seq, counts = [], [0] * k
    while len(seq) < n:
        depth = sum(counts)
        if depth == 0 or (depth < max_depth and rng.random_sample() < p_open):
            t = int(rng.randint(0, k))
            seq.append(t)
            counts[t] += 1
        else:
            open_types = [i for i, c in enumerate(counts) if c > 0]
            t = open_types[rng.randint(0, len(open_types))]
            seq.append(t + k)
            counts[t] -= 1
    return seq, [0] + [1] * (n - 1)


def ww(rng):
    w = content(rng, L // 2)
    return answer_task(w + [SEP], list(w), 2 * (L // 2) + 1)


def eca(rng, rule=110, width=32, rows=4):
    row = rng.randint(0, 2, size=width).tolist()
    tokens = []
    for r in range(rows):
        if r > 0:
            row = [(rule >> ((row[i - 1] << 2) | (row[i] << 1) | row[(i + 1) % width])) & 1 for i in range(width)]
        tokens += row + [2]
    return tokens, [0] * (width + 1) + [1] * ((rows - 1) * (width + 1))


_MATRIX = None


def markov(rng, states=100, n=2048):
    global _MATRIX
    if _MATRIX is None:  # drawn once from the seed, like procgen's
        _MATRIX = np.cumsum(np.random.RandomState(4).dirichlet([0.1] * states, size=states), axis=1)
    s = int(rng.randint(0, states))
    seq = [s]
    u = rng.random_sample(n - 1)
    for i in range(n - 1):
        s = min(int(np.searchsorted(_MATRIX[s], u[i], side="right")), states - 1)
        seq.append(s)
    return seq, [0] + [1] * (n - 1)


TYPES = {
    "identity": identity,
    "reverse": reverse,
    "sort": sort,
    "set": set_,
    "union": union,
    "delete": delete,
    "stack": stack,
    "dyck": dyck,
    "dyck-shuffle": dyck_shuffle,
    "ww": ww,
    "eca": eca,
    "markov": markov,
}


def main():
    name, seconds = sys.argv[1], float(sys.argv[2])
    fn = TYPES[name]
    samples = tokens = 0
    start = time.process_time()  # CPU time: the machine may be shared
    while time.process_time() - start < seconds:
        toks, loss = fn(np.random.RandomState(42 + samples))
        assert len(toks) == len(loss)
        samples += 1
        tokens += len(toks)
    elapsed = time.process_time() - start
    print(json.dumps({"type": name, "samples": samples, "tokens": tokens, "seconds": elapsed}))


if __name__ == "__main__":
    main()
