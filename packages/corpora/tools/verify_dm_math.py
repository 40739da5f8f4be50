#!/usr/bin/env python3
"""Independent check of a generated DeepMind-Math tree with sympy (a second implementation in another
language, sharing no code with the TypeScript generator or its vitest checker).

Usage: "$PYTHON" packages/corpora/tools/verify_dm_math.py DIR [--max-per-file N] [--strict]   (PYTHON: a python3 with sympy)
where DIR contains mathematics_dataset-v1.0/ (write one with `procpt corpora dm-math --out DIR`).
Re-derives every answer from the question text alone and checks the layout: five split folders,
alternating question/answer lines, printable ASCII, questions <= 160 and answers <= 30 characters.
Exit status 1 and one line per mismatch when anything is wrong. Factorisations whose value is right
but whose printing differs from sympy's (factor order, `(x)` for a bare symbol) are listed and only
fail the run under --strict.
"""
import math
import os
import re
import sys
from fractions import Fraction

import sympy as sp

NUM = r"-?\d+(?:\.\d+)?(?:/\d+)?"
LEAD = re.compile(
    r"^(?:What is the value of|What is|Calculate|Evaluate|Work out|How much is|Compute|Determine|Give|Find)\s+"
)
ORD = {"": 1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
       "tenth": 10}


def Q(text):
    """Exact rational from '12', '-1.25' or '3/7'."""
    return Fraction(text.strip())


def S(text, local=None):
    """sympy expression with decimals kept exact."""
    return sp.sympify(text, rational=True, locals=local or {})


def names(text):
    return {c: sp.Symbol(c) for c in set(re.findall(r"\b[a-z]\b", text))}


def ans_value(a):
    if "sqrt" in a or re.search(r"[a-z]", a):
        return S(a, names(a))
    return sp.Rational(str(Q(a)))


# ---------------------------------------------------------------- arithmetic

TWO = [
    (r"^(?:Add|Sum|Put together|Total of|What is the sum of) (N) and (N)[.?]$", lambda a, b: a + b),
    (r"^(?:Multiply|Product of|What is the product of) (N) and (N)[.?]$", lambda a, b: a * b),
    (r"^What is the difference between (N) and (N)\?$", lambda a, b: abs(a - b)),
    (r"^Subtract (N) from (N)\.$", lambda a, b: b - a),
    (r"^(?:What is |How much is )?(N) (?:minus|take away) (N)\??$", lambda a, b: a - b),
    (r"^What is (N) plus (N)\?$", lambda a, b: a + b),
    (r"^What is (N) times (N)\?$", lambda a, b: a * b),
    (r"^(?:What is |Calculate |Divide )?(N) (?:divided )?by (N)[.?]?$", lambda a, b: a / b),
]
TWO = [(re.compile(p.replace("N", NUM)), f) for p, f in TWO]


def arithmetic(q, a):
    for rx, f in TWO:
        m = rx.match(q)
        if m:
            want = f(Q(m.group(1)), Q(m.group(2)))
            return Q(a) == want, want
    expr = LEAD.sub("", q).rstrip(".?")
    want = S(expr)
    return sp.Rational(str(Q(a))) == want, want


def nearest_root(q, a):
    m = re.match(r"^What is (?:the (square|cube) root of (\d+)|(\d+) to the power of 1/(\d+)),? to the nearest integer\?$", q)
    n, k = (int(m.group(2)), 2 if m.group(1) == "square" else 3) if m.group(2) else (int(m.group(3)), int(m.group(4)))
    root = sp.root(sp.Integer(n), k)
    c = int(a)
    ok = all(abs(sp.N(c - root, 60)) <= abs(sp.N(d - root, 60)) for d in (c - 1, c + 1))
    return ok, f"~{sp.N(root, 20)}"


def simplify_surd(q, a):
    expr = S(q[len("Simplify ") :].rstrip("."))
    ok = sp.simplify(expr - S(a)) == 0 and "sqrt(" in a or sp.simplify(expr - S(a)) == 0
    # The answer must be in simplest form: no square factor left under a sqrt.
    for r in re.findall(r"sqrt\((\d+)\)", a):
        if any(int(r) % (p * p) == 0 for p in sp.primefactors(int(r))):
            ok = False
    return ok, sp.radsimp(expr)


def in_base(q, a):
    m = re.match(r"^In base (\d+), what is (-?\w+) ([+-]) (-?\w+)\?$", q)
    b = int(m.group(1))
    x, y = int(m.group(2), b), int(m.group(4), b)
    want = to_base(x + y if m.group(3) == "+" else x - y, b)
    return a == want, want


def to_base(n, b):
    if n == 0:
        return "0"
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s, v = "", abs(n)
    while v:
        s, v = digits[v % b] + s, v // b
    return ("-" if n < 0 else "") + s


# ---------------------------------------------------------------- numbers

def numbers(mod, q, a):
    ints = [int(x) for x in re.findall(r"-?\d+", q)]
    if mod.startswith("numbers__base_conversion"):
        m = re.match(r"^(?:What is (-?\w+) \(base (\d+)\) in base (\d+)\?|Convert (-?\w+) \(base (\d+)\) to base (\d+)\.)$", q)
        g = [x for x in m.groups() if x is not None]
        want = to_base(int(g[0], int(g[1])), int(g[2]))
        return a == want, want
    if "remainder" in q:
        n, d = ints
        want = str(n % d)
    elif "common denominator" in q:
        fr = re.findall(NUM, q)
        want = str(math.lcm(*(Q(x).denominator for x in fr)))
    elif re.search(r"common (divisor|factor)", q):
        want = str(math.gcd(*ints))
    elif "common multiple" in q:
        want = str(math.lcm(*ints))
    elif mod.startswith("numbers__is_prime"):
        p = sp.isprime(ints[0])
        want = str(p if "prime" in q else (not p and ints[0] > 1))
    elif mod.startswith("numbers__is_factor"):
        x, y = ints
        if "factor of" in q or q.startswith("Does"):
            want = str(y % x == 0)
        else:
            want = str(x % y == 0)
    elif "prime factors" in q:
        want = ", ".join(str(p) for p in sp.primefactors(ints[0]))
    elif "digit of" in q:
        places = ["units", "tens", "hundreds", "thousands", "ten thousands", "hundred thousands", "millions",
                  "ten millions", "hundred millions", "billions", "ten billions", "hundred billions", "trillions"]
        place = re.match(r"^What is the (.+) digit of", q).group(1)
        want = str(abs(ints[-1]) // 10 ** places.index(place) % 10)
    else:
        return round_number(q, a)
    return a == want, want


def round_number(q, a):
    m = re.match(r"^(?:Round (N) to|What is (N) rounded to) (.+?)[.?]$".replace("N", NUM), q)
    x = Q(m.group(1) or m.group(2))
    spec = m.group(3)
    words = {"ten": 10, "one hundred": 100, "one thousand": 1000, "ten thousand": 10**4, "one hundred thousand": 10**5,
             "one million": 10**6, "ten million": 10**7, "one hundred million": 10**8, "integer": 1, "one": 1}
    words.update({str(v): v for v in list(words.values())})
    m2 = re.match(r"the nearest (.+)$", spec)
    if m2:
        unit = Fraction(words[m2.group(1)])
    else:
        d = re.match(r"(\d+|zero|one|two|three|four|five) (?:decimal places?|dps?)$", spec).group(1)
        places = int(d) if d.isdigit() else ["zero", "one", "two", "three", "four", "five"].index(d)
        unit = Fraction(1, 10**places)
    cands = {math.floor(x / unit) * unit, math.ceil(x / unit) * unit}
    best = min(abs(c - x) for c in cands)
    ok = Q(a) in {c for c in cands if abs(c - x) == best}
    return ok, sorted(cands)


# ---------------------------------------------------------------- comparison

def comparison(mod, q, a):
    if mod.startswith("comparison__pair"):
        m = re.match(r"^Which is (bigger|greater|smaller|less): (N) or (N)\?$".replace("N", NUM), q)
        if m:
            x, y = Q(m.group(2)), Q(m.group(3))
            pick = max if m.group(1) in ("bigger", "greater") else min
            want = m.group(2) if pick(x, y) == x else m.group(3)
            return a == want, want
        m = re.match(r"^Are (N) and (N) (equal|unequal)\?$".replace("N", NUM), q)
        if m:
            eq = Q(m.group(1)) == Q(m.group(2))
            return a == str(eq if m.group(3) == "equal" else not eq), eq
        m = re.match(r"^Is (N) (.+?) (N)\?$".replace("N", NUM), q)
        x, rel, y = Q(m.group(1)), m.group(2), Q(m.group(3))
        ops = {"bigger than": x > y, "greater than": x > y, "smaller than": x < y, "less than": x < y,
               "at least": x >= y, "at most": x <= y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y,
               "!=": x != y, "=": x == y}
        return a == str(ops[rel]), ops[rel]
    if mod.startswith("comparison__sort"):
        m = re.match(r"^(?:Sort (.+?)(?: in (increasing|decreasing) order)?|Put (.+?) in (ascending|descending) order)\.$", q)
        items = (m.group(1) or m.group(3)).split(", ")
        desc = (m.group(2) or m.group(4)) in ("decreasing", "descending")
        want = ", ".join(sorted(items, key=Q, reverse=desc))
        return a == want, want
    if mod.startswith("comparison__kth_biggest"):
        m = re.match(r"^(?:What|Which) is the (?:(\w+) )?(biggest|smallest) value in (.+)\?$", q)
        items = m.group(3).split(", ")
        k = ORD[m.group(1) or ""]
        ordered = sorted(items, key=Q, reverse=m.group(2) == "biggest")
        distinct = len({Q(x) for x in items}) == len(items)
        return a == ordered[k - 1] and distinct, ordered[k - 1]
    # closest
    m = re.match(r"^(?:What|Which) is the (?:nearest|closest) to (N) in (.+)\?$".replace("N", NUM), q)
    if m:
        t, items, labels = Q(m.group(1)), m.group(2).split(", "), None
    else:
        m = re.match(r"^(?:What|Which) is the (?:nearest|closest) to (N)\?\s+(.+)$".replace("N", NUM), q)
        t = Q(m.group(1))
        pairs = re.findall(r"\((\w)\) (\S+)", m.group(2))
        labels, items = [p[0] for p in pairs], [p[1] for p in pairs]
    d = [abs(Q(x) - t) for x in items]
    i = d.index(min(d))
    unique = d.count(min(d)) == 1
    want = labels[i] if labels else items[i]
    return a == want and unique, want


# ---------------------------------------------------------------- measurement

SI = {"nano": Fraction(1, 10**9), "micro": Fraction(1, 10**6), "milli": Fraction(1, 1000), "centi": Fraction(1, 100),
      "": Fraction(1), "kilo": Fraction(1000)}
UNITS = {}
for p, f in SI.items():
    UNITS[p + "meters"] = ("len", f)
    UNITS[p + "grams"] = ("mass", f)
    UNITS[p + "litres"] = ("vol", f)
    UNITS[p + "seconds"] = ("time", f)
UNITS.update({
    "tonnes": ("mass", Fraction(10**6)), "t": ("mass", Fraction(10**6)), "kg": ("mass", Fraction(1000)),
    "g": ("mass", Fraction(1)), "mg": ("mass", Fraction(1, 1000)), "ug": ("mass", Fraction(1, 10**6)),
    "ng": ("mass", Fraction(1, 10**9)), "km": ("len", Fraction(1000)), "m": ("len", Fraction(1)),
    "cm": ("len", Fraction(1, 100)), "mm": ("len", Fraction(1, 1000)), "um": ("len", Fraction(1, 10**6)),
    "nm": ("len", Fraction(1, 10**9)), "l": ("vol", Fraction(1)), "ml": ("vol", Fraction(1, 1000)),
    "minutes": ("time", Fraction(60)), "hours": ("time", Fraction(3600)), "days": ("time", Fraction(86400)),
    "weeks": ("time", Fraction(7 * 86400)), "s": ("time", Fraction(1)), "ms": ("time", Fraction(1, 1000)),
    "us": ("time", Fraction(1, 10**6)), "ns": ("time", Fraction(1, 10**9)), "months": ("month", Fraction(1)),
    "years": ("month", Fraction(12)), "decades": ("month", Fraction(120)), "centuries": ("month", Fraction(1200)),
    "millennia": ("month", Fraction(12000)),
})


def conversion(q, a):
    pats = [r"^What is (N) ?([a-z]+) in ([a-z]+)\?$", r"^Convert (N) ?([a-z]+) to ([a-z]+)\.$",
            r"^How many ([a-z]+) are there in (N) ?([a-z]+)\?$"]
    for i, p in enumerate(pats):
        m = re.match(p.replace("N", NUM), q)
        if m:
            v, src, dst = (m.group(2), m.group(3), m.group(1)) if i == 2 else m.groups()
            break
    else:
        m = re.match(r"^How many ([a-z]+) are there in (N) of an? ([a-z]+)\?$".replace("N", NUM), q)
        if m:
            dst, v, src = m.groups()
        else:
            v, src, dst = re.match(r"^What is (N) of an? ([a-z]+) in ([a-z]+)\?$".replace("N", NUM), q).groups()
    fix = {"millennium": "millennia", "century": "centuries", "decade": "decades", "year": "years",
           "month": "months", "week": "weeks", "day": "days", "hour": "hours", "minute": "minutes"}
    for unit in ("meter", "gram", "litre", "second"):
        for p in SI:
            fix[p + unit] = p + unit + "s"
    src, dst = fix.get(src, src), fix.get(dst, dst)
    (ks, fs), (kd, fd) = UNITS[src], UNITS[dst]
    assert ks == kd, (src, dst)
    want = Q(v) * fs / fd
    return Q(a) == want, want


def clock(t):
    h, m, ap = re.match(r"(\d+):(\d\d) (AM|PM)", t).groups()
    return (int(h) % 12 + (12 if ap == "PM" else 0)) * 60 + int(m)


def time_q(q, a):
    m = re.match(r"^How many minutes are there between (.+) and (.+)\?$", q)
    if m:
        want = (clock(m.group(2)) - clock(m.group(1))) % 1440
        return int(a) == want, want
    m = re.match(r"^What is (\d+) minutes (after|before) (.+)\?$", q)
    t = (clock(m.group(3)) + (1 if m.group(2) == "after" else -1) * int(m.group(1))) % 1440
    h, mm = divmod(t, 60)
    want = f"{(h % 12) or 12}:{mm:02d} {'AM' if h < 12 else 'PM'}"
    return a == want, want


# ---------------------------------------------------------------- algebra / polynomials / calculus

EQ_Q = [r"^Solve (.+) for (\w)\.$", r"^Let (.+)\. What is (\w)\?$", r"^Find (\w), given that (.+)\.$",
        r"^Suppose (.+)\. Calculate (\w)\.$", r"^Determine (\w) so that (.+)\.$", r"^What is (\w) in (.+)\?$",
        r"^Solve (.+) for (\w)\.$"]


def equation(q):
    for p in EQ_Q:
        m = re.match(p, q)
        if m:
            g = m.groups()
            return (g[1], g[0]) if len(g[0]) == 1 else (g[0], g[1])
    raise ValueError(q)


def sides(eq):
    l, r = eq.split(" = ")
    loc = names(eq)
    return S(l, loc) - S(r, loc)


def algebra(mod, q, a):
    if mod.startswith("algebra__linear"):
        eqs, v = equation(q)
        syms = names(eqs)
        sol = sp.solve([sides(e) for e in eqs.split(", ")], list(syms.values()), dict=True)
        want = sol[0][syms[v]]
        return len(sol) == 1 and S(a) == want, want
    if mod.startswith("algebra__polynomial_roots"):
        if q.startswith("Factor "):
            e = q[len("Factor ") :].rstrip(".")
            loc = names(e)
            fa = S(a, loc)
            want = str(sp.factor(S(e, loc)))
            if sp.expand(fa - S(e, loc)) != 0:
                return False, want
            # Same value: only the printing may differ from sympy's (factor order, parentheses).
            return a == want or "format", want
        eqs, v = equation(q)
        x = sp.Symbol(v)
        roots = sorted(set(sp.solve(sides(eqs), x)), key=lambda r: float(r))
        want = ", ".join(str(r) for r in roots)
        return a == want and all(r.is_rational for r in roots), want
    terms = [int(t) for t in re.findall(r"-?\d+", q.split(" of ")[-1] if " of " in q else q.split(": ")[-1].split(" in ")[-1])]
    if mod.startswith("algebra__sequence_next_term"):
        diffs, seq = [], terms
        while len(set(seq)) > 1:
            diffs.append(seq[-1])
            seq = [y - x for x, y in zip(seq, seq[1:])]
            assert len(seq) >= 2, q
        want = str(sum(diffs) + seq[-1])
        return a == want, want
    n = sp.Symbol(re.search(r"the (\w)'?th term", q).group(1))
    f = S(a, {str(n): n})
    ok = all(f.subs(n, i + 1) == t for i, t in enumerate(terms)) and sp.degree(f, n) <= len(terms) - 2
    return ok, sp.interpolate(terms, n)


def functions(q):
    """'Let a(m) = P. Let f(t) = Q.' -> dict of sympy Lambdas, rest of the question."""
    loc = {}
    while True:
        m = re.match(r"^Let (\w)\((\w)\) = (.+?)\. ", q)
        if not m:
            return loc, q
        x = sp.Symbol(m.group(2))
        loc[m.group(1)] = sp.Lambda(x, S(m.group(3), {m.group(2): x}))
        q = q[m.end() :]


def polynomials(mod, q, a):
    loc_a = names(a)
    if mod.startswith("polynomials__evaluate"):
        fs, rest = functions(q + " ")
        m = re.search(r"(\w)\((-?\d+)\)", rest)
        want = fs[m.group(1)](int(m.group(2)))
        return S(a) == want, want
    if mod.startswith("polynomials__add"):
        fs, rest = functions(q + " ")
        e = re.sub(r"^(?:What is|Calculate|Give|Determine|Find) ", "", rest.strip()).rstrip(".?")
        loc = {**names(e), **fs}
        want = sp.expand(S(e, loc))
        return sp.expand(S(a, loc_a) - want) == 0 and S(a, loc_a) == want, want
    if mod.startswith("polynomials__collect") or mod.startswith("polynomials__expand"):
        e = re.sub(r"^(?:Collect the terms in|Expand) ", "", q).rstrip(".")
        want = sp.expand(S(e, names(e)))
        return S(a, loc_a) == want, want
    # calculus__differentiate
    m = re.match(r"^(?:Differentiate|(?:Find|What is) the (\w+ )?derivative of) (.+?)(?: (?:wrt|with respect to) (\w))?[.?]$", q)
    order = {None: 1, "first ": 1, "second ": 2, "third ": 3}[m.group(1)]
    e = m.group(2)
    loc = names(e)
    v = sp.Symbol(m.group(3)) if m.group(3) else list(loc.values())[0]
    if not m.group(3):
        assert len(loc) == 1, q
    want = sp.diff(S(e, loc), v, order)
    return sp.expand(S(a, loc_a) - want) == 0, want


# ---------------------------------------------------------------- probability

def bag_of(text):
    if text.startswith("{"):
        return {k: int(v) for k, v in re.findall(r"(\w): (\d+)", text)}
    bag = {}
    for c in text:
        bag[c] = bag.get(c, 0) + 1
    return bag


def probability(mod, q, a):
    bag = bag_of(re.search(r"without replacement from (\{[^}]*\}|\w+)", q).group(1))
    total = sum(bag.values())
    if "sequence" in mod:
        seq = re.search(r"prob of sequence (\w+)", q).group(1)
        p, left, rem = Fraction(1), dict(bag), total
        for c in seq:
            p *= Fraction(left.get(c, 0), rem)
            left[c] = left.get(c, 0) - 1
            rem -= 1
    else:
        spec = re.search(r"prob of picking (.+?)(?: when|[.?]$)", q).group(1)
        want = {c: int(k) for k, c in re.findall(r"(\d+) (\w)", spec)}
        k = sum(want.values())
        p = Fraction(math.prod(math.comb(bag.get(c, 0), n) for c, n in want.items()), math.comb(total, k))
    return Q(a) == p, p


# ---------------------------------------------------------------- driver

def check(mod, q, a):
    cat = mod.split("__")[0]
    if mod.startswith("arithmetic__nearest_integer_root"):
        return nearest_root(q, a)
    if mod.startswith("arithmetic__simplify_surd"):
        return simplify_surd(q, a)
    if mod.startswith("arithmetic__add_or_sub_in_base"):
        return in_base(q, a)
    if cat == "arithmetic":
        return arithmetic(q, a)
    if cat == "numbers":
        return numbers(mod, q, a)
    if cat == "comparison":
        return comparison(mod, q, a)
    if mod.startswith("measurement__conversion"):
        return conversion(q, a)
    if mod.startswith("measurement__time"):
        return time_q(q, a)
    if cat == "algebra":
        return algebra(mod, q, a)
    if cat in ("polynomials", "calculus"):
        return polynomials(mod, q, a)
    if cat == "probability":
        return probability(mod, q, a)
    raise ValueError(f"no checker for {mod}")


def main():
    root = os.path.join(sys.argv[1], "mathematics_dataset-v1.0")
    cap = int(sys.argv[sys.argv.index("--max-per-file") + 1]) if "--max-per-file" in sys.argv else 10**9
    strict = int("--strict" in sys.argv)
    bad = checked = fmt = 0
    per_module = {}
    for split in ("train-easy", "train-medium", "train-hard", "interpolate", "extrapolate"):
        d = os.path.join(root, split)
        if not os.path.isdir(d):
            print(f"missing folder {d}")
            bad += 1
            continue
        for name in sorted(os.listdir(d)):
            mod = name[:-4]
            raw = open(os.path.join(d, name), "rb").read()
            text = raw.decode("ascii")
            lines = text.split("\n")
            if lines[-1] != "" or len(lines) % 2 != 1:
                print(f"{split}/{name}: not an even number of newline-terminated lines")
                bad += 1
            for i in range(0, min(len(lines) - 1, 2 * cap), 2):
                q, a = lines[i], lines[i + 1]
                where = f"{split}/{name}:{i + 1}"
                if not (0 < len(q) <= 160 and 0 < len(a) <= 30) or not all(32 <= ord(c) < 127 for c in q + a):
                    print(f"{where}: length/charset limit broken: {q!r} -> {a!r}")
                    bad += 1
                try:
                    ok, want = check(mod, q, a)
                except Exception as e:  # a question this checker cannot parse is reported, not ignored
                    ok, want = False, f"checker error {type(e).__name__}: {e}"
                checked += 1
                per_module[mod] = per_module.get(mod, 0) + 1
                if ok == "format":
                    fmt += 1
                    bad += strict
                    print(f"{where}: {q} -> {a} (right value; sympy prints {want})")
                elif not ok:
                    bad += 1
                    print(f"{where}: {q} -> {a} (expected {want})")
    print(f"checked {checked} pairs in {len(per_module)} modules, {bad} problem(s), {fmt} printing difference(s)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
