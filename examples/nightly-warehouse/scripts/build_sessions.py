"""Group web events into sessions: a new session starts after --gap of inactivity."""

import argparse
import datetime
import re
import sys

from common import OUT, read_csv, write_csv


def parse_gap(text):
    match = re.fullmatch(r"(\d+)([smh])", text)
    if not match:
        sys.exit(f"build_sessions: --gap must look like 30m, 900s or 1h, not {text!r}")
    seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]
    return datetime.timedelta(seconds=seconds)


def sessionize(events, gap):
    sessions, open_by_customer = [], {}
    for event in events:  # sorted by time
        at = datetime.datetime.fromisoformat(event["event_time"])
        session = open_by_customer.get(event["customer_id"])
        if session is None or at - session["last"] > gap:
            session = {"customer_id": event["customer_id"], "first": at, "last": at,
                       "events": 0, "checkout": 0}
            sessions.append(session)
            open_by_customer[event["customer_id"]] = session
        session["last"] = at
        session["events"] += 1
        session["checkout"] |= event["event"] == "checkout"
    return sessions


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gap", default="30m")
    gap = parse_gap(parser.parse_args().gap)
    sessions = sessionize(read_csv(OUT / "raw" / "web_events.csv"), gap)
    rows = [
        {
            "session_id": f"{s['customer_id']}-{s['first']:%Y%m%dT%H%M}",
            "customer_id": s["customer_id"],
            "started_at": s["first"].isoformat(),
            "duration_s": int((s["last"] - s["first"]).total_seconds()),
            "events": s["events"],
            "converted": int(s["checkout"]),
        }
        for s in sessions
    ]
    path = write_csv(OUT / "staging" / "fact_sessions.csv",
                     ["session_id", "customer_id", "started_at", "duration_s", "events",
                      "converted"], rows)
    print(f"build_sessions: wrote {path} ({len(rows)} sessions)")


if __name__ == "__main__":
    main()
