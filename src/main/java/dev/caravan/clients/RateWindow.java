package dev.caravan.clients;

/**
 * Requests and tokens over the last minute, in sixty one-second slots: a slot is reused once its second has left
 * the window, so the memory is fixed whatever the traffic. Not thread-safe; its owner locks.
 */
final class RateWindow {

    static final int SLOTS = 60;

    private final long[] second = new long[SLOTS];
    private final long[] requests = new long[SLOTS];
    private final long[] tokens = new long[SLOTS];

    RateWindow() {
        java.util.Arrays.fill(second, Long.MIN_VALUE);
    }

    private boolean live(int slot, long now) {
        return second[slot] > now - SLOTS && second[slot] <= now;
    }

    long requests(long now) {
        long sum = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (live(i, now)) {
                sum += requests[i];
            }
        }
        return sum;
    }

    long tokens(long now) {
        long sum = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (live(i, now)) {
                sum += tokens[i];
            }
        }
        return Math.max(0, sum);
    }

    void add(long now, long requestCount, long tokenCount) {
        int slot = (int) Math.floorMod(now, SLOTS);
        if (second[slot] != now) {
            second[slot] = now;
            requests[slot] = 0;
            tokens[slot] = 0;
        }
        requests[slot] += requestCount;
        tokens[slot] += tokenCount;
    }

    /** Corrects the tokens counted in second {@code at}, while it is still in the window. */
    void correct(long at, long tokenDelta) {
        int slot = (int) Math.floorMod(at, SLOTS);
        if (second[slot] == at) {
            tokens[slot] += tokenDelta;
        }
    }

    /**
     * The second from which the window holds at most {@code room} less of what it holds now, counted by
     * {@code requests} or tokens: when the oldest slots it takes to free that much have left it.
     */
    long freesAt(long now, long excess, boolean byRequests) {
        long freed = 0;
        for (long s = now - SLOTS + 1; s <= now; s++) {
            int slot = (int) Math.floorMod(s, SLOTS);
            if (second[slot] == s) {
                freed += byRequests ? requests[slot] : tokens[slot];
                if (freed >= excess) {
                    return s + SLOTS;
                }
            }
        }
        return now + SLOTS;
    }
}
