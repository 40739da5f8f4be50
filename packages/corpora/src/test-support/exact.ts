/**
 * Test-only exact arithmetic and an expression evaluator, written separately from the DM-Math
 * generator so its answers are checked by an independent implementation.
 */
export type Q = readonly [bigint, bigint];

const g = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y) [x, y] = [y, x % y];
  return x;
};
export const q = (n: bigint | number, d: bigint | number = 1n): Q => {
  let N = BigInt(n);
  let D = BigInt(d);
  if (D === 0n) throw new Error('zero denominator');
  if (D < 0n) [N, D] = [-N, -D];
  const k = g(N, D) || 1n;
  return [N / k, D / k];
};
export const add = (a: Q, b: Q): Q => q(a[0] * b[1] + b[0] * a[1], a[1] * b[1]);
export const sub = (a: Q, b: Q): Q => q(a[0] * b[1] - b[0] * a[1], a[1] * b[1]);
export const mul = (a: Q, b: Q): Q => q(a[0] * b[0], a[1] * b[1]);
export const div = (a: Q, b: Q): Q => q(a[0] * b[1], a[1] * b[0]);
export const cmp = (a: Q, b: Q): number => {
  const d = a[0] * b[1] - b[0] * a[1];
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
export const eq = (a: Q, b: Q): boolean => cmp(a, b) === 0;
export const abs = (a: Q): Q => (a[0] < 0n ? q(-a[0], a[1]) : a);
export const str = (a: Q): string => (a[1] === 1n ? `${a[0]}` : `${a[0]}/${a[1]}`);
export const toFloat = (a: Q): number => Number(a[0]) / Number(a[1]);

/** `12`, `-3/4`, `0.125` → exact. */
export function parseQ(text: string): Q {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:\/(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a number: ${JSON.stringify(text)}`);
  const frac = m[3] ?? '';
  const n = BigInt((m[2] as string) + frac) * (m[1] === '-' ? -1n : 1n);
  return q(n, 10n ** BigInt(frac.length) * BigInt(m[4] ?? '1'));
}

/** Operations an evaluator needs; instantiated for exact rationals and for floats (with sqrt). */
interface Ops<T> {
  num(text: string): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  pow(a: T, k: number): T;
  neg(a: T): T;
  sqrt?(a: T): T;
}

const exactOps: Ops<Q> = {
  num: parseQ,
  add,
  sub,
  mul,
  div,
  pow: (a, k) => {
    let r: Q = q(1);
    for (let i = 0; i < Math.abs(k); i++) r = mul(r, a);
    return k < 0 ? div(q(1), r) : r;
  },
  neg: (a) => q(-a[0], a[1]),
};
const floatOps: Ops<number> = {
  num: Number,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, k) => a ** k,
  neg: (a) => -a,
  sqrt: Math.sqrt,
};

/** Recursive-descent evaluation of `+ - * / **`, parentheses, unary minus, names and calls. */
function evaluate<T>(
  text: string,
  ops: Ops<T>,
  vars: Record<string, T>,
  fns: Record<string, (x: T) => T>,
): T {
  const tokens = text.match(/\d+(?:\.\d+)?|\*\*|[A-Za-z_]\w*|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const tok = tokens[i++];
    if (t !== undefined && tok !== t) throw new Error(`expected ${t} at ${i} in ${text}`);
    return tok as string;
  };
  function primary(): T {
    const t = take();
    if (t === '(') {
      const v = sum();
      take(')');
      return v;
    }
    if (t === '-') return ops.neg(power());
    if (/^\d/.test(t)) return ops.num(t);
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        take('(');
        const arg = sum();
        take(')');
        if (t === 'sqrt' && ops.sqrt) return ops.sqrt(arg);
        const fn = fns[t];
        if (!fn) throw new Error(`unknown function ${t}`);
        return fn(arg);
      }
      const v = vars[t];
      if (v === undefined) throw new Error(`unbound ${t} in ${text}`);
      return v;
    }
    throw new Error(`unexpected ${t} in ${text}`);
  }
  function power(): T {
    const base = primary();
    if (peek() === '**') {
      take();
      let sign = 1;
      if (peek() === '-') {
        take();
        sign = -1;
      }
      return ops.pow(base, sign * Number(take()));
    }
    return base;
  }
  function product(): T {
    let v = power();
    while (peek() === '*' || peek() === '/') v = take() === '*' ? ops.mul(v, power()) : ops.div(v, power());
    return v;
  }
  function sum(): T {
    let v = product();
    while (peek() === '+' || peek() === '-')
      v = take() === '+' ? ops.add(v, product()) : ops.sub(v, product());
    return v;
  }
  const v = sum();
  if (i !== tokens.length) throw new Error(`trailing input in ${text}`);
  return v;
}

export const evalQ = (text: string, vars: Record<string, Q> = {}, fns: Record<string, (x: Q) => Q> = {}): Q =>
  evaluate(text, exactOps, vars, fns);
export const evalFloat = (text: string, vars: Record<string, number> = {}): number =>
  evaluate(text, floatOps, vars, {});
