#!/usr/bin/env python3
"""tools/gen_decimal_cases.py - writes tests/data/decimal_cases.txt, the
generated cases that tests/unit/core_decimal.c checks core/decimal.c against.

The reference is Python's decimal module with enough precision that every
intermediate is exact (or truncated far below the rounding digit), then
quantized ROUND_HALF_UP to Spark's result scale; a result of more digits
than the result precision is OVERFLOW. Result types follow Spark's
DecimalPrecision rules (allowPrecisionLoss = true), written here apart from
the C code. Spark 4.3.0 agreed with these rules on the sample run by hand
(see the header of tests/unit/core_decimal.c).

Run: python3 tools/gen_decimal_cases.py > tests/data/decimal_cases.txt
The seed is fixed, so the output is the same on every run.

Line formats (values are unscaled integers unless said; types are p s):
  OP p1 s1 A p2 s2 B pr sr R      OP in add sub mul div mod pmod;
                                  R is an integer, OVERFLOW, DIVZERO or
                                  IMPOSSIBLE; (pr, sr) is Spark's type
  quot p1 s1 A p2 s2 B R          a div b as a long (wrapped)
  cmp p1 s1 A p2 s2 B C CS        exact comparison, -1 0 1, and Spark's
                                  (both cast to the wider type first)
  cast p1 s1 A p2 s2 MODE R       rescale with MODE (HALF_UP HALF_EVEN
                                  FLOOR CEILING DOWN)
  round p s A SCALE MODE pr sr R  round/bround to SCALE
  avg p s SUM COUNT pr sr R       avg's last step, sum type (p, s), rounded
                                  once into avg's type (pr, sr)
  parse p s TEXT R                CAST(TEXT AS DECIMAL(p,s)); TEXT has no
                                  blanks; R also ERANGE or SYNTAX
  fmt p s A PLAIN JAVA            the two renderings
  dbl p s A HEX                   CAST(decimal AS DOUBLE), as float.hex
  fromdbl HEX p s R               CAST(double AS DECIMAL(p,s))
  toint p s A BITS R OVF          CAST(decimal AS INTn): wrapped value,
                                  OVF 1 if it overflowed
"""
import random
from decimal import Decimal, Context, ROUND_HALF_UP, ROUND_HALF_EVEN, \
    ROUND_FLOOR, ROUND_CEILING, ROUND_DOWN, localcontext

CTX = Context(prec=500, rounding=ROUND_DOWN, Emax=10**6, Emin=-10**6)
MODES = {'HALF_UP': ROUND_HALF_UP, 'HALF_EVEN': ROUND_HALF_EVEN,
         'FLOOR': ROUND_FLOOR, 'CEILING': ROUND_CEILING, 'DOWN': ROUND_DOWN}
rnd = random.Random(20261207)


def adjust(p, s):
    if p <= 38:
        return p, s
    return 38, max(38 - (p - s), min(s, 6))


def t_add(p1, s1, p2, s2):
    s = max(s1, s2)
    return adjust(max(p1 - s1, p2 - s2) + s + 1, s)


def t_mul(p1, s1, p2, s2):
    return adjust(p1 + p2 + 1, s1 + s2)


def t_div(p1, s1, p2, s2):
    scale = max(6, s1 + p2 + 1)
    return adjust(p1 - s1 + s2 + scale, scale)


def t_mod(p1, s1, p2, s2):
    s = max(s1, s2)
    return adjust(min(p1 - s1, p2 - s2) + s, s)


def t_wider(p1, s1, p2, s2):
    s = max(s1, s2)
    p = max(p1 - s1, p2 - s2) + s
    return (p, s) if p <= 38 else (38, max(0, s - (p - 38)))


def val(a, s):
    return CTX.scaleb(Decimal(a), -s)


def place(x, p, s, mode=ROUND_HALF_UP):
    """x quantized to scale s; None when it has more than p digits."""
    q = x.quantize(Decimal(1).scaleb(-s), rounding=mode, context=CTX)
    u = int(CTX.scaleb(q, s))
    return u if abs(u) < 10 ** p else None


def rand_type():
    p = rnd.choice([1, 2, 5, 9, 10, 18, 19, 20, 28, 37, 38] +
                   list(range(1, 39)))
    s = rnd.choice([0, 0, p, rnd.randint(0, p), rnd.randint(0, p)])
    return p, min(s, p)


def rand_val(p):
    k = rnd.random()
    if k < 0.08:
        v = 10 ** p - 1                      # all nines
    elif k < 0.12:
        v = 0
    elif k < 0.22 and p >= 19:               # around 2^64 and 2^63
        v = rnd.choice([2**64 - 1, 2**64, 2**64 + 1, 2**63 - 1, 2**63])
    elif k < 0.3:
        v = rnd.randint(0, 9)
    else:
        v = rnd.randint(0, 10 ** rnd.randint(1, p) - 1)
    v = min(v, 10 ** p - 1)
    return -v if rnd.random() < 0.4 else v


def binop(out, op, n):
    for _ in range(n):
        p1, s1 = rand_type()
        p2, s2 = rand_type()
        a, b = rand_val(p1), rand_val(p2)
        if op == 'div' and rnd.random() < 0.3 and b != 0:
            # a quotient that ends exactly on a half at the result scale
            pr, sr = t_div(p1, s1, p2, s2)
            r = rnd.randint(0, 10 ** min(6, pr - sr + 1))
            x = (Decimal(2 * r + 1) / 2).scaleb(-sr, context=CTX)
            av = CTX.multiply(x, val(b, s2))
            ua = CTX.scaleb(av, s1)
            if ua == ua.to_integral_value() and abs(int(ua)) < 10 ** p1:
                a = int(ua)
        x, y = val(a, s1), val(b, s2)
        rt = {'add': t_add, 'sub': t_add, 'mul': t_mul, 'div': t_div,
              'mod': t_mod, 'pmod': t_mod}[op](p1, s1, p2, s2)
        res = None
        if op == 'add':
            e = CTX.add(x, y)
        elif op == 'sub':
            e = CTX.subtract(x, y)
        elif op == 'mul':
            e = CTX.multiply(x, y)
        elif y == 0:
            res = 'DIVZERO'
        elif op == 'div':
            e = CTX.divide(x, y)       # 500 digits, truncated
        else:
            # truncated toward zero; int() since abs() and str() of a
            # Decimal would round in the default 28-digit context
            q = abs(int(CTX.divide_int(x, y)))
            nd = len(str(q))
            if nd > 39 and q % 10 ** (nd - 39):
                res = 'IMPOSSIBLE'
            else:
                e = CTX.remainder(x, y)  # the sign of x
                if op == 'pmod' and e < 0 and y > 0:
                    e = CTX.add(e, y)
        if res is None:
            u = place(e, *rt)
            res = 'OVERFLOW' if u is None else str(u)
        out.append(f'{op} {p1} {s1} {a} {p2} {s2} {b} {rt[0]} {rt[1]} {res}')


def quot(out, n):
    for _ in range(n):
        p1, s1 = rand_type()
        p2, s2 = rand_type()
        a, b = rand_val(p1), rand_val(p2)
        x, y = val(a, s1), val(b, s2)
        if y == 0:
            res = 'DIVZERO'
        else:
            q = int(CTX.divide_int(x, y))
            nd = len(str(abs(q)))
            if nd > 39 and abs(q) % 10 ** (nd - 39):
                res = 'IMPOSSIBLE'
            elif abs(q) >= 10 ** 38:
                res = 'OVERFLOW'
            else:
                w = q & (2**64 - 1)
                res = str(w - 2**64 if w >= 2**63 else w)
        out.append(f'quot {p1} {s1} {a} {p2} {s2} {b} {res}')


def cmps(out, n):
    for _ in range(n):
        p1, s1 = rand_type()
        p2, s2 = rand_type()
        a = rand_val(p1)
        if rnd.random() < 0.3:   # equal values at different scales
            x = val(a, s1)
            b = int(CTX.scaleb(x, s2)) if s2 >= s1 else a
            if abs(b) >= 10 ** p2 or val(b, s2) != x:
                b = rand_val(p2)
        else:
            b = rand_val(p2)
        c = val(a, s1).compare(val(b, s2))
        # Spark's binary comparison: both sides cast to the wider type
        pw, sw = t_wider(p1, s1, p2, s2)
        cs = Decimal(place(val(a, s1), pw, sw)).compare(
            Decimal(place(val(b, s2), pw, sw)))
        out.append(f'cmp {p1} {s1} {a} {p2} {s2} {b} {int(c)} {int(cs)}')


def cmps_lossy(out, n):
    """Comparisons whose wider type drops fraction digits: a value of
    many integral digits against one of many fraction digits, close by."""
    for _ in range(n):
        p1 = rnd.randint(20, 38)
        s1 = rnd.randint(0, 3)
        p2 = 38
        s2 = rnd.randint(30, 38)
        a = rnd.randint(-10, 10)
        base = a * 10 ** (s2 - s1)
        b = base + rnd.choice([-1, 1]) * rnd.choice(
            [1, 5 * 10 ** (s2 - s1 - 1), 10 ** (s2 - s1 - 1) * rnd.randint(1, 9),
             rnd.randint(0, 10 ** (s2 - s1))])
        if abs(b) >= 10 ** p2:
            continue
        c = val(a, s1).compare(val(b, s2))
        pw, sw = t_wider(p1, s1, p2, s2)
        cs = Decimal(place(val(a, s1), pw, sw)).compare(
            Decimal(place(val(b, s2), pw, sw)))
        out.append(f'cmp {p1} {s1} {a} {p2} {s2} {b} {int(c)} {int(cs)}')


def casts(out, n):
    for _ in range(n):
        p1, s1 = rand_type()
        p2, s2 = rand_type()
        a = rand_val(p1)
        mode = rnd.choice(list(MODES))
        u = place(val(a, s1), p2, s2, MODES[mode])
        out.append(f'cast {p1} {s1} {a} {p2} {s2} {mode} '
                   f'{"OVERFLOW" if u is None else u}')


def t_round(p, s, scale):
    least = p - s + 1
    if scale < 0:
        return min(max(least, 1 - scale), 38), 0
    ns = min(s, scale)
    return min(least + ns, 38), ns


def rounds(out, n):
    for _ in range(n):
        p, s = rand_type()
        a = rand_val(p)
        scale = rnd.randint(-(p - s) - 2, s + 2)
        mode = rnd.choice(['HALF_UP', 'HALF_EVEN', 'FLOOR', 'CEILING'])
        pr, sr = t_round(p, s, scale)
        x = val(a, s)
        q = x.quantize(Decimal(1).scaleb(-scale), rounding=MODES[mode],
                       context=CTX)
        u = int(CTX.scaleb(q, sr))
        res = str(u) if abs(u) < 10 ** pr else 'OVERFLOW'
        out.append(f'round {p} {s} {a} {scale} {mode} {pr} {sr} {res}')


def avgs(out, n):
    for _ in range(n):
        p, s = rand_type()
        ps, ss = min(38, p + 10), s
        pr, sr = min(38, p + 4), min(38, s + 4)
        total = rand_val(ps)
        count = rnd.choice([1, 2, 3, 6, 7, 9, 11, rnd.randint(1, 10**6),
                            rnd.randint(1, 2**62)])
        # Spark 4.3's DecimalDivideWithOverflowCheck: one rounding, into
        # avg's type
        u = place(CTX.divide(val(total, ss), Decimal(count)), pr, sr)
        res = 'OVERFLOW' if u is None else str(u)
        out.append(f'avg {ps} {ss} {total} {count} {pr} {sr} {res}')


def rand_text():
    k = rnd.random()
    ip = ''.join(rnd.choice('0123456789') for _ in range(rnd.randint(0, 25)))
    fp = ''.join(rnd.choice('0123456789') for _ in range(rnd.randint(0, 45)))
    if not ip and not fp:
        ip = '0'
    t = rnd.choice(['', '-', '+']) + ip
    if fp or rnd.random() < 0.3:
        t += '.' + fp
    if k < 0.3:
        t += rnd.choice('eE') + rnd.choice(['', '-', '+']) + \
            str(rnd.randint(0, 45))
    return t


def parses(out, n):
    for _ in range(n):
        p, s = rand_type()
        t = rand_text()
        d = Decimal(t)
        sign, digits, exp = d.as_tuple()
        prec = len(str(int(''.join(map(str, digits)))))   # zero: 1
        if prec + exp > 38:
            res = 'ERANGE'
        else:
            u = place(d, p, s)
            res = 'OVERFLOW' if u is None else str(u)
        out.append(f'parse {p} {s} {t} {res}')


def fmts(out, n):
    for _ in range(n):
        p, s = rand_type()
        a = rand_val(p)
        x = val(a, s)
        out.append(f'fmt {p} {s} {a} {format(x, "f")} {str(x)}')


def rand_double():
    k = rnd.random()
    if k < 0.3:
        return rnd.uniform(-1000, 1000)
    if k < 0.5:
        return round(rnd.uniform(-1000, 1000), rnd.randint(0, 4))
    if k < 0.6:
        return rnd.randint(-10**6, 10**6) / 8 + 0.0
    return rnd.choice([1, -1]) * 10 ** rnd.uniform(-40, 40)


def dbls(out, n):
    for _ in range(n):
        p, s = rand_type()
        a = rand_val(p)
        out.append(f'dbl {p} {s} {a} {float(val(a, s)).hex()}')
    for _ in range(n):
        d = rand_double()
        p, s = rand_type()
        u = place(Decimal(repr(d)), p, s)
        out.append(f'fromdbl {d.hex()} {p} {s} '
                   f'{"OVERFLOW" if u is None else u}')


def toints(out, n):
    for _ in range(n):
        p, s = rand_type()
        a = rand_val(p)
        bits = rnd.choice([8, 16, 32, 64])
        i = int(CTX.divide_int(Decimal(a), Decimal(10) ** s))
        w = i & (2 ** bits - 1)
        w = w - 2 ** bits if w >= 2 ** (bits - 1) else w
        ovf = int(not (-2 ** (bits - 1) <= i < 2 ** (bits - 1)))
        out.append(f'toint {p} {s} {a} {bits} {w} {ovf}')


def main():
    out = []
    for op, n in [('add', 1200), ('sub', 600), ('mul', 1500), ('div', 1500),
                  ('mod', 800), ('pmod', 300)]:
        binop(out, op, n)
    quot(out, 300)
    cmps(out, 800)
    cmps_lossy(out, 200)
    casts(out, 800)
    rounds(out, 800)
    avgs(out, 500)
    parses(out, 800)
    fmts(out, 600)
    dbls(out, 500)
    toints(out, 500)
    print('# tests/data/decimal_cases.txt - generated by '
          'tools/gen_decimal_cases.py (formats there); do not edit.')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
