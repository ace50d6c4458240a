#!/usr/bin/env python3
"""The built-in "sprite" policy (policy/placement/sprite_longest_idle.cpp) as an external policy: the same grants,
fairness reclaim, exec-time placements and owner-return evictions, in the same order with the same tie-breaks, so
that a run gives the built-in policy's results byte for byte (tests/sim/test_external_policy.py checks it over a
sweep). Parameters as the built-in's: fairness_margin (2), place_arrivals (true), evict_on_owner (true).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))
import spritesim_policy as sp  # noqa: E402


def idle_key(h):
    """Longest idle first: the smallest idle_since_s, ties by id."""
    return (h.idle_since_s, h.id)


def make(params):
    known = {"fairness_margin", "place_arrivals", "evict_on_owner"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise SystemExit(f"sprite.py: unknown parameters {unknown} (known: {sorted(known)})")
    margin = int(params.get("fairness_margin", 2))
    if not 2 <= margin <= 1000:
        raise SystemExit(f"sprite.py: fairness_margin must be in [2, 1000], got {margin}")
    place_arrivals = bool(params.get("place_arrivals", True))
    evict_on_owner = bool(params.get("evict_on_owner", True))

    def serve(view, ev, a):
        home = sp.request_home(view, ev)
        free = [h for h in view.hosts
                if sp.takes_foreign_work(h) and h.holder < 0 and h.foreign == 0 and h.id != home
                and sp.same_architecture(view, h, home) and not a.granted(h.id) and a.extra_load(h.id) <= 0]
        free.sort(key=idle_key)
        got = 0
        for h in free:
            if got < ev.count and a.grant(ev.client, h.id):
                got += 1
        if got == 0 and ev.count > 0:
            reclaim(view, ev, home, a)

    def reclaim(view, ev, home, a):
        # CheckFairness: the biggest holder gives up one host if it holds at least `margin` more than the
        # requester and keeps at least as many as the requester will have.
        clients = max(len(view.held_by_client), ev.client + 1)
        victim = -1
        for c in range(clients):
            if c != ev.client and a.held(c) > 0 and (victim < 0 or a.held(c) > a.held(victim)):
                victim = c
        if victim < 0:
            return
        mine, theirs = a.held(ev.client), a.held(victim)
        if theirs < mine + margin or theirs - 1 < mine + 1:
            return
        best, best_procs = None, 0
        for h in view.hosts:
            if (h.holder != victim or h.id == home or a.revoked(h.id) or not h.up or h.is_file_server
                    or h.owner_active or not sp.same_architecture(view, h, home)):
                continue
            procs = len(sp.foreign_on(view, h.id))
            if best is None or procs < best_procs or (procs == best_procs and idle_key(h) < idle_key(best)):
                best, best_procs = h, procs
        if best is not None and a.revoke(victim, best.id):
            a.grant(ev.client, best.id)

    def place(view, ev, a):
        p = view.process(ev.proc)
        if p is None or p.state != sp.WAITING or a.touched(p.id):
            return
        best = None
        for h in view.hosts:
            if (sp.takes_foreign_work(h) and h.id != p.home and sp.same_architecture(view, h, p.home)
                    and (h.holder < 0 or h.holder == p.client)
                    and h.foreign == 0 and a.extra_load(h.id) <= 0 and not a.granted(h.id)
                    and (best is None or idle_key(h) < idle_key(best))):
                best = h
        if best is not None:
            a.place(p.id, best.id)

    def decide(view, events):
        a = sp.Answer(view)
        if evict_on_owner:  # evictions first: nothing below hands out a host whose owner just came back
            sp.evict_for_returning_owners(view, events, a)
        for ev in events:
            if ev.kind == sp.HOST_REQUEST:
                serve(view, ev, a)
            elif ev.kind == sp.PROCESS_ARRIVED and place_arrivals:
                place(view, ev, a)
        return a.take()

    return decide


if __name__ == "__main__":
    sp.main(make, "sprite.py")
