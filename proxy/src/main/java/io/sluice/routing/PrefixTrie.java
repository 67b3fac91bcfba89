package io.sluice.routing;

import java.util.Arrays;

/**
 * The prefix locations of a server as a character trie: the longest prefix of a path is found in one walk
 * along the path, however many locations there are (a list would test every prefix longer than the match).
 * Built once per configuration snapshot and read-only afterwards.
 */
final class PrefixTrie {
    private final Node root = new Node();

    /** Adds a prefix; when two locations spell the same prefix, the first added keeps it. */
    void add(String prefix, Route route) {
        Node node = root;
        for (int i = 0; i < prefix.length(); i++) {
            node = node.childOrNew(prefix.charAt(i));
        }
        if (node.route == null) {
            node.route = route;
        }
    }

    /** The route of the longest prefix of {@code path}, or {@code null}. */
    Route longestPrefixOf(String path) {
        Node node = root;
        Route longest = node.route;
        for (int i = 0; i < path.length(); i++) {
            node = node.child(path.charAt(i));
            if (node == null) {
                break;
            }
            if (node.route != null) {
                longest = node.route;
            }
        }
        return longest;
    }

    private static final class Node {
        private char[] keys = new char[0];
        private Node[] children = new Node[0];
        private Route route;

        Node child(char key) {
            char[] k = keys;
            for (int i = 0; i < k.length; i++) {
                if (k[i] == key) {
                    return children[i];
                }
            }
            return null;
        }

        Node childOrNew(char key) {
            Node existing = child(key);
            if (existing != null) {
                return existing;
            }
            Node created = new Node();
            keys = Arrays.copyOf(keys, keys.length + 1);
            children = Arrays.copyOf(children, children.length + 1);
            keys[keys.length - 1] = key;
            children[children.length - 1] = created;
            return created;
        }
    }
}
