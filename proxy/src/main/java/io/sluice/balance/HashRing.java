package io.sluice.balance;

import java.util.Arrays;
import java.util.List;

/**
 * A consistent-hash ring: each server holds {@value #POINTS_PER_WEIGHT} points per unit of weight, placed
 * by hashing its address, so the ring depends only on the addresses and weights. Removing one of N
 * servers moves only the keys it owned (about 1/N), and every other key stays on its server. Immutable,
 * shared by all loops.
 */
final class HashRing {
    static final int POINTS_PER_WEIGHT = 160;

    private final long[] points;
    private final int[] owners;

    HashRing(List<String> servers, int[] weights) {
        int total = 0;
        for (int weight : weights) {
            total += weight * POINTS_PER_WEIGHT;
        }
        long[][] entries = new long[total][];
        int n = 0;
        for (int server = 0; server < servers.size(); server++) {
            for (int point = 0; point < weights[server] * POINTS_PER_WEIGHT; point++) {
                entries[n++] = new long[] {hash(servers.get(server) + "#" + point), server};
            }
        }
        Arrays.sort(entries, (a, b) -> Long.compare(a[0], b[0]));
        this.points = new long[total];
        this.owners = new int[total];
        for (int i = 0; i < total; i++) {
            points[i] = entries[i][0];
            owners[i] = (int) entries[i][1];
        }
    }

    /** The first server clockwise from {@code key}'s hash whose bit is set in {@code candidates}. */
    int owner(CharSequence key, long candidates) {
        int index = Arrays.binarySearch(points, hash(key));
        if (index < 0) {
            index = -index - 1;
        }
        for (int step = 0; step < points.length; step++) {
            int owner = owners[(index + step) % points.length];
            if ((candidates & (1L << owner)) != 0) {
                return owner;
            }
        }
        throw new IllegalArgumentException("no candidate on the ring");
    }

    /** 64-bit FNV-1a over the characters, finished with MurmurHash3's mixer so nearby keys spread out. */
    static long hash(CharSequence text) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb93fe1a85ec5L;
        h ^= h >>> 33;
        return h;
    }
}
