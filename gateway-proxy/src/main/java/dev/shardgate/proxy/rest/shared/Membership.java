package dev.shardgate.proxy.rest.shared;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The REST replicas alive, as their registrations in the members KV bucket show them, and how many replicas the
 * limits are split for: the largest count seen in the last {@value #RECENT_MILLIS} ms of contact with NATS, and
 * never fewer than {@code REST_REPLICAS} (the floor). Why a recent maximum and a floor: a replica that vanishes from
 * the bucket may be cut off from NATS rather than dead, and then goes on using its share; so its share is held for
 * it a while, and replicas that normally run are always counted. A replica cut off itself takes no new samples, so
 * it keeps the largest count it saw and its share never grows while it cannot see the others.
 *
 * <p>Times are monotonic milliseconds. Written by a NATS dispatcher thread ({@link #seen}) and the
 * {@code rest-share} thread ({@link #sample}); read by both.
 */
final class Membership {
    /** A registration is alive this long after it was last seen (the members bucket's time-to-live). */
    static final long ALIVE_MILLIS = 3_000;
    static final long RECENT_MILLIS = 60_000;
    /** Presence as a follower counts toward the leader's share only while this fresh. */
    private static final long PRESENCE_TIMEOUT_MILLIS = 2_000;
    /** How long a replica must have followed before the leader takes its share (what it sent alone ages out). */
    private static final long SETTLE_MILLIS = 2_000;

    private record Member(long followingSince, long lastSeen, boolean following) { }

    private final int floor;
    private final Map<String, Member> members = new ConcurrentHashMap<>();
    /** Samples of the count alive: {at, count}, oldest first. */
    private final ArrayDeque<long[]> counts = new ArrayDeque<>();

    Membership(int floor) {
        this.floor = floor;
    }

    /** A replica renewed its registration; {@code following} when it follows a leader. */
    void seen(String replica, boolean following, long now) {
        members.compute(replica, (k, m) -> {
            boolean stillFollowing = following && m != null && m.following && now - m.lastSeen <= PRESENCE_TIMEOUT_MILLIS;
            return new Member(stillFollowing ? m.followingSince : now, now, following);
        });
    }

    /** Counts the replicas alive now (while NATS answers) and forgets older samples; returns {@link #replicas()}. */
    synchronized int sample(long now) {
        members.values().removeIf(m -> now - m.lastSeen > RECENT_MILLIS);
        int alive = (int) members.values().stream().filter(m -> now - m.lastSeen <= ALIVE_MILLIS).count();
        counts.addLast(new long[] {now, alive});
        while (now - counts.peekFirst()[0] > RECENT_MILLIS) {
            counts.pollFirst();
        }
        return replicas();
    }

    /** How many replicas every limit is split for. */
    synchronized int replicas() {
        int most = floor;
        for (long[] c : counts) {
            most = Math.max(most, (int) c[1]);
        }
        return most;
    }

    /** Followers other than {@code self} that are present and have followed for long enough. */
    int settledFollowers(String self, long now) {
        return (int) members.entrySet().stream().filter(e -> !e.getKey().equals(self)).map(Map.Entry::getValue)
                .filter(m -> m.following && now - m.lastSeen <= PRESENCE_TIMEOUT_MILLIS
                        && m.lastSeen - m.followingSince >= SETTLE_MILLIS)
                .count();
    }
}
