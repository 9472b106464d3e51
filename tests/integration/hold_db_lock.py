#!/usr/bin/python3
"""Holds the SQLite write lock on a database for a while (run with /usr/bin/python3).

  hold_db_lock.py DB SECONDS

BEGIN IMMEDIATE takes the RESERVED lock (in WAL mode: the single writer lock), so no other
connection can commit until this one rolls back. Prints "locked T" once it holds the lock
and "releasing T" just before letting it go (T = Unix time, the clock tcpdump stamps
packets with), then "released T".
"""
import sqlite3
import sys
import time


def main():
    db, seconds = sys.argv[1], float(sys.argv[2])
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    conn.execute("BEGIN IMMEDIATE")
    print("locked %.6f" % time.time(), flush=True)
    time.sleep(seconds)
    print("releasing %.6f" % time.time(), flush=True)
    conn.execute("ROLLBACK")
    print("released %.6f" % time.time(), flush=True)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
