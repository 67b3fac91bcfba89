package io.sluice.balance;

import io.sluice.config.UpstreamConfig;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Plain round-robin over the primary servers, then over the backups once every primary was tried for
 * this request. One instance per event loop: the rotation is per loop, which spreads load just as well
 * and needs no shared counter.
 */
public final class RoundRobin implements Balancer {
    private final int[] primaries;
    private final int[] backups;
    private int next;

    public RoundRobin(List<UpstreamConfig.Server> servers) {
        this.primaries = indexes(servers, false);
        this.backups = indexes(servers, true);
    }

    private static int[] indexes(List<UpstreamConfig.Server> servers, boolean backup) {
        return IntStream.range(0, servers.size())
                .filter(i -> servers.get(i).backup() == backup)
                .toArray();
    }

    @Override
    public int pick(long tried) {
        int primary = rotate(primaries, tried);
        return primary >= 0 ? primary : rotate(backups, tried);
    }

    private int rotate(int[] candidates, long tried) {
        int count = candidates.length;
        for (int i = 0; i < count; i++) {
            int index = candidates[Math.floorMod(next + i, count)];
            if (index >= 64 || (tried & (1L << index)) == 0) {
                next = Math.floorMod(next + i + 1, count);
                return index;
            }
        }
        return -1;
    }
}
