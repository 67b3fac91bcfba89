package io.sluice.routing;

import java.util.Arrays;

/**
 * The prefix locations of a server as a compressed character trie (each edge holds the whole run of
 * characters no other prefix branches from): the longest prefix of a path is found in one walk along the
 * path, however many locations there are (a list would test every prefix longer than the match), and the
 * walk visits one node per branching point rather than one per character (a request for
 * {@code /static/a.css} with locations {@code /} and {@code /static/} visits two). Built once per
 * configuration snapshot and read-only afterwards.
 */
final class PrefixTrie {
    private final Node root = new Node("");

    /** Adds a prefix; when two locations spell the same prefix, the first added keeps it. */
    void add(String prefix, Route route) {
        Node node = root;
        int depth = 0;
        while (depth < prefix.length()) {
            int slot = node.slotOf(prefix.charAt(depth));
            if (slot < 0) {
                node.addChild(new Node(prefix.substring(depth)));
                node = node.children[node.children.length - 1];
                break;
            }
            Node child = node.children[slot];
            int common = commonLength(child.label, prefix, depth);
            if (common < child.label.length()) {
                // the new prefix leaves this edge part-way: the shared part becomes a node of its own
                Node shared = new Node(child.label.substring(0, common));
                child.label = child.label.substring(common);
                shared.addChild(child);
                node.children[slot] = shared;
                child = shared;
            }
            node = child;
            depth += common;
        }
        if (node.route == null) {
            node.route = route;
        }
    }

    /** The route of the longest prefix of {@code path}, or {@code null}. */
    Route longestPrefixOf(String path) {
        Node node = root;
        Route longest = node.route;
        int depth = 0;
        while (depth < path.length()) {
            int slot = node.slotOf(path.charAt(depth));
            if (slot < 0) {
                break;
            }
            Node child = node.children[slot];
            if (!path.startsWith(child.label, depth)) {
                break;
            }
            node = child;
            depth += child.label.length();
            if (node.route != null) {
                longest = node.route;
            }
        }
        return longest;
    }

    private static int commonLength(String label, String prefix, int from) {
        int max = Math.min(label.length(), prefix.length() - from);
        int i = 0;
        while (i < max && label.charAt(i) == prefix.charAt(from + i)) {
            i++;
        }
        return i;
    }

    private static final class Node {
        /** The characters on the edge into this node; never empty below the root. */
        private String label;
        /** The first character of each child's label, in the order of {@link #children}. */
        private char[] firsts = new char[0];
        private Node[] children = new Node[0];
        private Route route;

        Node(String label) {
            this.label = label;
        }

        int slotOf(char first) {
            char[] f = firsts;
            for (int i = 0; i < f.length; i++) {
                if (f[i] == first) {
                    return i;
                }
            }
            return -1;
        }

        void addChild(Node child) {
            firsts = Arrays.copyOf(firsts, firsts.length + 1);
            children = Arrays.copyOf(children, children.length + 1);
            firsts[firsts.length - 1] = child.label.charAt(0);
            children[children.length - 1] = child;
        }
    }
}
