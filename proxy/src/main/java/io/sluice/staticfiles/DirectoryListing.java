package io.sluice.staticfiles;

import io.sluice.util.HttpDate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code autoindex} page of a directory: names sorted (directories first), HTML-escaped and
 * percent-encoded in links, with sizes and modification times. Reads the directory, so it runs on the
 * blocking pool. Hidden names are left out unless dotfiles are allowed; a huge directory is cut at
 * {@link #MAX_ENTRIES} names, and the page at about {@link #MAX_PAGE_CHARS} characters (whole rows), so one
 * page stays small even when every name is long and needs escaping.
 */
final class DirectoryListing {
    static final int MAX_ENTRIES = 10_000;
    /** Ordinary names fit 10,000 rows in well under this; 10,000 names of 255 quotes would make 23 MB. */
    static final int MAX_PAGE_CHARS = 2 << 20;
    /**
     * Bytes of pages one location may hold for clients that have not read them yet (16 capped pages);
     * past it a listing gets 503 until they drain or their connections close.
     */
    static final long PAGES_HELD = 32L << 20;

    private record Item(String name, boolean directory, long size, long modifiedMillis) {
    }

    private DirectoryListing() {
    }

    static byte[] render(Path directory, String urlPath, boolean parentLink, boolean dotfilesAllowed)
            throws IOException {
        List<Item> items = new ArrayList<>();
        boolean truncated = false;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (name.startsWith(".") && !dotfilesAllowed && !name.equals(StaticPaths.WELL_KNOWN)) {
                    continue;
                }
                if (items.size() == MAX_ENTRIES) {
                    truncated = true;
                    break;
                }
                try {
                    BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class);
                    if (attributes.isDirectory() || attributes.isRegularFile()) {
                        items.add(new Item(name, attributes.isDirectory(), attributes.size(),
                                attributes.lastModifiedTime().toMillis()));
                    }
                } catch (IOException e) {
                    // a dangling link or a file removed meanwhile is simply not listed
                }
            }
        }
        items.sort(Comparator.comparing((Item item) -> !item.directory()).thenComparing(Item::name));
        String title = "Index of " + escape(urlPath);
        StringBuilder html = new StringBuilder(Math.min(256 + items.size() * 160, MAX_PAGE_CHARS));
        html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(title)
                .append("</title></head>\n<body><h1>").append(title).append("</h1><hr><table>\n");
        if (parentLink) {
            html.append("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
        }
        int listed = 0;
        for (Item item : items) {
            if (html.length() >= MAX_PAGE_CHARS) {
                truncated = true;
                break;
            }
            listed++;
            String name = item.directory() ? item.name() + "/" : item.name();
            html.append("<tr><td><a href=\"").append(StaticPaths.encodeSegment(item.name())).append(item.directory() ? "/" : "")
                    .append("\">").append(escape(name)).append("</a></td><td>")
                    .append(HttpDate.format(Math.floorDiv(item.modifiedMillis(), 1000L))).append("</td><td>")
                    .append(item.directory() ? "-" : Long.toString(item.size())).append("</td></tr>\n");
        }
        html.append("</table>");
        if (truncated) {
            html.append("<p>Only the first ").append(listed).append(" entries are listed.</p>");
        }
        html.append("<hr></body></html>\n");
        return html.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
