#!/usr/bin/env python3
"""A small external policy: each grant and each exec-time placement goes to a host drawn at random (Python's
random.Random, seeded by the `seed` parameter, default 1) among those that take foreign work, are not the client's
home and are held by nobody else; an owner's return evicts home as Sprite does. Like the built-in "random" policy in
spirit, not in its draws (those come from its own std::mt19937_64).
"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))
import spritesim_policy as sp  # noqa: E402


def make(params):
    rng = random.Random(int(params.get("seed", 1)))

    def candidates(view, a, home, client):
        return [h.id for h in view.hosts
                if sp.takes_foreign_work(h) and h.id != home and h.holder in (-1, client) and not a.granted(h.id)]

    def decide(view, events):
        a = sp.Answer(view)
        sp.evict_for_returning_owners(view, events, a)
        for ev in events:
            if ev.kind == sp.HOST_REQUEST:
                home = sp.request_home(view, ev)
                for _ in range(ev.count):
                    free = [h for h in candidates(view, a, home, ev.client) if view.hosts[h].holder < 0]
                    if not free:
                        break
                    a.grant(ev.client, rng.choice(free))
            elif ev.kind == sp.PROCESS_ARRIVED:
                p = view.process(ev.proc)
                if p is not None and p.state == sp.WAITING and not a.touched(p.id):
                    hosts = candidates(view, a, p.home, p.client)
                    if hosts:
                        a.place(p.id, rng.choice(hosts))
        return a.take()

    return decide


if __name__ == "__main__":
    sp.main(make, "random_hosts.py")
