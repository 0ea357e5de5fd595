#!/usr/bin/python3
"""Stale-read checker for tests/vm/cache/race.sh (not a test by itself).

The device is a row of 4 KiB blocks.  Version V of block B is fixed
content: each of its eight 512-byte sectors is

    magic (8 bytes) | B (u64) | V (u64) | sector index (u32) | 0 (u32) |
    480 bytes of a pseudo-random stream seeded with (B, V)

so a read tells, sector by sector, which block and version it got.  Blocks
are grouped in spans (one cache block each when the span is the cache block
size); span s belongs to writer s % W, the only process that ever writes its
blocks, so versions of a block only grow.  Two shared arrays hold, per
block, the version whose write has *started* and the version whose write
has *completed*.  A writer bumps "started", writes (O_DIRECT), then sets
"completed".  A reader notes "completed" and "started" of the blocks it is
about to read, reads them (O_DIRECT), then notes "started" again.  Every
sector it got must be the right block and sector with a version between the
first "completed" and the last "started"; when no write to the block
overlapped the read, all of it must be exactly version "completed".  A
version below "completed" is a stale read: data older than a write that had
completed before the read was issued.

A read that overlaps a write of the same block may legitimately return a mix
of the old and the new data (block devices promise no atomicity; a RAM disk
copies with memcpy, so the mix may even be within a sector): such a block
passes if every byte of it is the byte of one of the versions in flight or
the one before them ("torn" in the summary), and is a failure otherwise.

Commands:
  init DEV NBLOCKS STATE        write version 0 to every block, save the
                                versions to STATE
  run DEV STATE [options]       writers and readers for --seconds, then a
                                full check (exact versions) and save STATE
  check DEV STATE               every block must hold exactly the version
                                STATE says

Exit status: 0 all good, 1 a check failed (details on stderr), 2 usage or
I/O error.
"""
import argparse
import mmap
import multiprocessing as mp
import os
import random
import struct
import sys
import time

BLK = 4096
SEC = 512
NSEC = BLK // SEC
MAGIC = b"SCRACE02"
HDR = struct.Struct("<8sQQII")
PAY = SEC - HDR.size

_content = {}


def content(block, version):
    """The 4 KiB of version @version of block @block (a small memo)."""
    key = (block, version)
    data = _content.get(key)
    if data is None:
        stream = random.Random(block << 32 | version).randbytes(NSEC * PAY)
        data = b"".join(HDR.pack(MAGIC, block, version, i, 0) +
                        stream[i * PAY:(i + 1) * PAY] for i in range(NSEC))
        if len(_content) > 4096:
            _content.clear()
        _content[key] = data
    return data


def build(buf, off, block, version):
    """Write block @block, version @version into @buf at byte @off."""
    buf[off:off + BLK] = content(block, version)


def check_block(raw, block, lo, hi, overlapped):
    """(why, torn) for a 4 KiB read @raw of block @block.

    @lo: the version complete before the read, @hi: the last version started
    by its end, @overlapped: a write of the block was in flight during the
    read.  why is None if the data is acceptable, else what is wrong; torn
    is True for an acceptable mix of versions.
    """
    versions = set()
    intact = True
    for i in range(NSEC):
        sec = raw[i * SEC:(i + 1) * SEC]
        magic, b, v, idx, _ = HDR.unpack_from(sec)
        if not (magic == MAGIC and b == block and idx == i and
                sec == content(block, v)[i * SEC:(i + 1) * SEC]):
            intact = False
            continue
        if v < lo:
            return ("STALE: sector %d holds version %d, but version %d was complete "
                    "before the read; %s" % (i, v, lo, describe(raw, lo, hi))), False
        if v > hi:
            return ("sector %d holds version %d, never written (last started %d); %s" %
                    (i, v, hi, describe(raw, lo, hi))), False
        versions.add(v)
    if not overlapped:
        if intact and versions == {lo}:
            return None, False
        return "expected exactly version %d (no write in flight); %s" % (
            lo, describe(raw, lo, hi)), False
    if intact and len(versions) == 1:
        return None, False
    # Torn by a write in flight: every byte must be one of versions lo..hi.
    if hi - lo > 64:
        return "torn, %d versions in flight: too many to check; %s" % (
            hi - lo + 1, describe(raw, lo, hi)), False
    cands = [content(block, v) for v in range(lo, hi + 1)]
    for j, byte in enumerate(raw):
        if not any(c[j] == byte for c in cands):
            return "torn: byte %d is from none of the versions %d..%d; %s" % (
                j, lo, hi, describe(raw, lo, hi)), False
    return None, True


def describe(raw, lo, hi):
    """What each sector of @raw holds, for a failure message."""
    out = []
    for i in range(NSEC):
        sec = raw[i * SEC:(i + 1) * SEC]
        magic, b, v, idx, _ = HDR.unpack_from(sec)
        if magic != MAGIC or idx >= NSEC:
            out.append("s%d: garbage" % i)
            continue
        ok = sec == content(b, v)[idx * SEC:(idx + 1) * SEC]
        out.append("s%d: block %d v%d%s%s" % (i, b, v, "" if idx == i else " sector %d" % idx,
                                              "" if ok else " (damaged)"))
    return "complete before the read: v%d, started by its end: v%d; %s" % (
        lo, hi, ", ".join(out))


def open_dev(path, write):
    flags = (os.O_RDWR if write else os.O_RDONLY) | os.O_DIRECT
    return os.open(path, flags)


def write_at(fd, buf, n, off):
    done = os.pwrite(fd, memoryview(buf)[:n], off)
    if done != n:
        raise OSError("short write at %d: %d of %d" % (off, done, n))


def read_at(fd, buf, n, off):
    done = os.preadv(fd, [memoryview(buf)[:n]], off)
    if done != n:
        raise OSError("short read at %d: %d of %d" % (off, done, n))


def load_state(path, nblocks=None):
    with open(path) as f:
        vers = [int(x) for x in f.read().split()]
    if nblocks is not None and len(vers) != nblocks:
        sys.exit("state %s: %d blocks, expected %d" % (path, len(vers), nblocks))
    return vers


def save_state(path, vers):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(str(v) for v in vers) + "\n")
    os.replace(tmp, path)


def full_check(dev, vers, what):
    """Every block holds exactly vers[b]; returns the number of problems."""
    n = len(vers)
    chunk = 256
    buf = mmap.mmap(-1, chunk * BLK)
    fd = open_dev(dev, False)
    bad = 0
    try:
        for first in range(0, n, chunk):
            cnt = min(chunk, n - first)
            read_at(fd, buf, cnt * BLK, first * BLK)
            for i in range(cnt):
                b = first + i
                why, _ = check_block(bytes(buf[i * BLK:(i + 1) * BLK]), b,
                                     vers[b], vers[b], False)
                if why:
                    bad += 1
                    if bad <= 10:
                        print("%s: block %d: %s" % (what, b, why), file=sys.stderr)
    finally:
        os.close(fd)
    return bad


def cmd_init(a):
    vers = [0] * a.nblocks
    chunk = 256
    buf = mmap.mmap(-1, chunk * BLK)
    fd = open_dev(a.dev, True)
    for first in range(0, a.nblocks, chunk):
        cnt = min(chunk, a.nblocks - first)
        for i in range(cnt):
            build(buf, i * BLK, first + i, 0)
        write_at(fd, buf, cnt * BLK, first * BLK)
    os.fsync(fd)
    os.close(fd)
    save_state(a.state, vers)
    return 0


# Per process counters in the shared stats array.
ST_WRITES, ST_READS, ST_BLOCKS, ST_TORN, ST_ERRORS, ST_N = range(6)


def pick_span(rng, a, nspans, owned=None):
    """A span, from the hot set (the first a.hot spans) with probability 0.7."""
    while True:
        if a.hot and rng.random() < 0.7:
            s = rng.randrange(min(a.hot, nspans))
        else:
            s = rng.randrange(nspans)
        if owned is None or s % a.writers == owned:
            return s


def writer(a, w, nblocks, started, completed, stop, stats, seed):
    rng = random.Random(seed)
    nspans = nblocks // a.span
    buf = mmap.mmap(-1, a.span * BLK)
    fd = open_dev(a.dev, True)
    base = w * ST_N
    try:
        while not stop.value:
            s = pick_span(rng, a, nspans, w)
            if rng.random() < 0.5:
                first, cnt = s * a.span, a.span          # the whole span
            else:
                first, cnt = s * a.span + rng.randrange(a.span), 1
            for i in range(cnt):
                b = first + i
                v = started[b] + 1
                started[b] = v
                build(buf, i * BLK, b, v)
            write_at(fd, buf, cnt * BLK, first * BLK)
            for i in range(cnt):
                completed[first + i] = started[first + i]
            stats[base + ST_WRITES] += 1
    except Exception as e:  # noqa: BLE001 - report and stop everybody
        print("writer %d: %s" % (w, e), file=sys.stderr)
        stats[base + ST_ERRORS] += 1
        stop.value = 1
    finally:
        os.close(fd)


def reader(a, r, nblocks, started, completed, stop, stats, seed):
    rng = random.Random(seed)
    nspans = nblocks // a.span
    buf = mmap.mmap(-1, 2 * a.span * BLK)
    fd = open_dev(a.read_dev or a.dev, False)
    base = (a.writers + r) * ST_N
    try:
        while not stop.value:
            s = pick_span(rng, a, nspans)
            k = rng.random()
            if k < 0.5:
                first, cnt = s * a.span, a.span          # one whole span
            elif k < 0.8 and a.span > 1:
                first, cnt = s * a.span + rng.randrange(a.span), 1
            else:                                       # into the next span
                first = s * a.span + rng.randrange(a.span)
                cnt = min(a.span + 1, nblocks - first)
            lo = [completed[first + i] for i in range(cnt)]
            s0 = [started[first + i] for i in range(cnt)]
            read_at(fd, buf, cnt * BLK, first * BLK)
            hi = [started[first + i] for i in range(cnt)]
            stats[base + ST_READS] += 1
            stats[base + ST_BLOCKS] += cnt
            for i in range(cnt):
                b = first + i
                why, torn = check_block(bytes(buf[i * BLK:(i + 1) * BLK]), b,
                                        lo[i], hi[i], s0[i] != lo[i] or hi[i] != lo[i])
                if torn:
                    stats[base + ST_TORN] += 1
                if why is None:
                    continue
                stats[base + ST_ERRORS] += 1
                print("reader %d: block %d (read of %d blocks at %d): %s" %
                      (r, b, cnt, first, why), file=sys.stderr)
                stop.value = 1
                return
    except Exception as e:  # noqa: BLE001
        print("reader %d: %s" % (r, e), file=sys.stderr)
        stats[base + ST_ERRORS] += 1
        stop.value = 1
    finally:
        os.close(fd)


def cmd_run(a):
    vers = load_state(a.state)
    nblocks = len(vers)
    if nblocks % a.span or nblocks // a.span < 2:
        sys.exit("the device must hold at least two whole spans")
    started = mp.RawArray("q", vers)
    completed = mp.RawArray("q", vers)
    stop = mp.RawValue("i", 0)
    stats = mp.RawArray("q", (a.writers + a.readers) * ST_N)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    procs = []
    for w in range(a.writers):
        procs.append(mp.Process(target=writer, args=(
            a, w, nblocks, started, completed, stop, stats, seed + w)))
    for r in range(a.readers):
        procs.append(mp.Process(target=reader, args=(
            a, r, nblocks, started, completed, stop, stats, seed + 1000 + r)))
    for p in procs:
        p.start()
    deadline = time.monotonic() + a.seconds
    while not stop.value and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.value = 1
    for p in procs:
        p.join()
    tot = [sum(stats[i * ST_N + f] for i in range(a.writers + a.readers))
           for f in range(ST_N)]
    print("race: seed %d, %d writes, %d reads (%d blocks checked, %d torn by a write "
          "in flight), %d errors" % (seed, tot[ST_WRITES], tot[ST_READS], tot[ST_BLOCKS],
                                     tot[ST_TORN], tot[ST_ERRORS]))
    bad = tot[ST_ERRORS] + sum(p.exitcode != 0 for p in procs)
    vers = list(completed)
    if any(started[b] != completed[b] for b in range(nblocks)):
        print("race: a write did not complete", file=sys.stderr)
        bad += 1
    if a.read_dev is None:
        bad += full_check(a.dev, vers, "final check")
    save_state(a.state, vers)
    if a.min_writes and tot[ST_WRITES] < a.min_writes:
        print("race: only %d writes, expected at least %d" % (tot[ST_WRITES], a.min_writes),
              file=sys.stderr)
        bad += 1
    if a.min_reads and tot[ST_READS] < a.min_reads:
        print("race: only %d reads, expected at least %d" % (tot[ST_READS], a.min_reads),
              file=sys.stderr)
        bad += 1
    return 1 if bad else 0


def cmd_check(a):
    vers = load_state(a.state)
    bad = full_check(a.dev, vers, a.dev)
    print("check: %d blocks, %d bad" % (len(vers), bad))
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("init")
    i.add_argument("dev")
    i.add_argument("nblocks", type=int)
    i.add_argument("state")
    r = sub.add_parser("run")
    r.add_argument("dev")
    r.add_argument("state")
    r.add_argument("--read-dev", help="readers read this device instead "
                   "(a negative control: the checker must fail)")
    r.add_argument("--seconds", type=float, default=10)
    r.add_argument("--writers", type=int, default=2)
    r.add_argument("--readers", type=int, default=2)
    r.add_argument("--span", type=int, default=1, help="blocks per span (cache block)")
    r.add_argument("--hot", type=int, default=0, help="spans in the hot set")
    r.add_argument("--seed", type=int)
    r.add_argument("--min-writes", type=int, default=0)
    r.add_argument("--min-reads", type=int, default=0)
    c = sub.add_parser("check")
    c.add_argument("dev")
    c.add_argument("state")
    a = p.parse_args()
    try:
        return {"init": cmd_init, "run": cmd_run, "check": cmd_check}[a.cmd](a)
    except OSError as e:
        print("race: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
