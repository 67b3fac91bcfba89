package io.sluice.routing;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class PrefixTrieTest {
    private final Route root = new Route(null, null, null);
    private final Route app = new Route(null, null, null);
    private final Route appAdmin = new Route(null, null, null);
    private final Route img = new Route(null, null, null);

    @Test
    void theLongestMatchingPrefixWins() {
        PrefixTrie trie = new PrefixTrie();
        trie.add("/", root);
        trie.add("/app", app);
        trie.add("/app/admin/", appAdmin);
        trie.add("/img/", img);

        assertSame(appAdmin, trie.longestPrefixOf("/app/admin/users"));
        assertSame(app, trie.longestPrefixOf("/app/admin"));
        assertSame(app, trie.longestPrefixOf("/application"));
        assertSame(app, trie.longestPrefixOf("/app"));
        assertSame(img, trie.longestPrefixOf("/img/logo.png"));
        assertSame(root, trie.longestPrefixOf("/im"));
        assertSame(root, trie.longestPrefixOf("/"));
    }

    @Test
    void nothingMatchesWithoutACoveringPrefix() {
        PrefixTrie trie = new PrefixTrie();
        trie.add("/app/", app);
        assertNull(trie.longestPrefixOf("/ap"));
        assertNull(trie.longestPrefixOf("/other/app/"));
        assertNull(new PrefixTrie().longestPrefixOf("/"));
    }

    @Test
    void theFirstLocationSpellingAPrefixKeepsIt() {
        PrefixTrie trie = new PrefixTrie();
        trie.add("/app/", app);
        trie.add("/app/", appAdmin);
        assertSame(app, trie.longestPrefixOf("/app/x"));
    }

    @Test
    void prefixesAddedInAnyOrderSplitSharedRunsCorrectly() {
        PrefixTrie trie = new PrefixTrie();
        trie.add("/app/admin/", appAdmin);
        trie.add("/app", app);
        trie.add("/img/", img);
        trie.add("/", root);

        assertSame(appAdmin, trie.longestPrefixOf("/app/admin/users"));
        assertSame(app, trie.longestPrefixOf("/app/adm"));
        assertSame(app, trie.longestPrefixOf("/app"));
        assertSame(root, trie.longestPrefixOf("/ap"));
        assertSame(root, trie.longestPrefixOf("/image"));
        assertSame(img, trie.longestPrefixOf("/img/"));
        assertSame(root, trie.longestPrefixOf("/img"));
        assertSame(root, trie.longestPrefixOf("/"));
        assertNull(trie.longestPrefixOf(""));
    }
}
