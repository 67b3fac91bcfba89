package io.sluice.http;

import java.util.Set;

/**
 * Chooses a content coding from a request's {@code Accept-Encoding} (RFC 9110 §12.5.3): among the codings
 * offered, the one with the highest q-value, ties going to the earlier coding of {@link ContentCoding};
 * {@code q=0} refuses a coding, {@code *} weighs every coding the header does not name, {@code x-gzip}
 * counts as {@code gzip}. A request without the header gets no coding: clients that decode say so.
 */
public final class AcceptedCoding {

    private AcceptedCoding() {
    }

    /** The coding to use, or {@code null} for the identity. */
    public static ContentCoding choose(CharSequence header, Set<ContentCoding> offered) {
        if (header == null || offered.isEmpty()) {
            return null;
        }
        double[] weights = {-1, -1, -1};
        double any = -1;
        String text = header.toString();
        int start = 0;
        while (start <= text.length()) {
            int comma = text.indexOf(',', start);
            int end = comma < 0 ? text.length() : comma;
            String element = text.substring(start, end);
            start = end + 1;
            int semicolon = element.indexOf(';');
            String coding = (semicolon < 0 ? element : element.substring(0, semicolon)).trim();
            double q = semicolon < 0 ? 1 : qValue(element.substring(semicolon + 1));
            if (coding.equals("*")) {
                any = q;
                continue;
            }
            ContentCoding named = named(coding);
            if (named != null) {
                weights[named.ordinal()] = Math.max(weights[named.ordinal()], q);
            }
        }
        ContentCoding best = null;
        double bestWeight = 0;
        for (ContentCoding coding : ContentCoding.values()) {
            double weight = weights[coding.ordinal()] >= 0 ? weights[coding.ordinal()] : any;
            if (offered.contains(coding) && weight > bestWeight) {
                best = coding;
                bestWeight = weight;
            }
        }
        return best;
    }

    private static ContentCoding named(String coding) {
        if (coding.equalsIgnoreCase("br")) {
            return ContentCoding.BROTLI;
        }
        if (coding.equalsIgnoreCase("zstd")) {
            return ContentCoding.ZSTD;
        }
        if (coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip")) {
            return ContentCoding.GZIP;
        }
        return null;
    }

    /** The {@code q} parameter, 1 when absent; a malformed or out-of-range weight refuses the coding. */
    private static double qValue(String parameters) {
        for (String parameter : parameters.split(";")) {
            String trimmed = parameter.trim();
            if (trimmed.length() > 2 && (trimmed.charAt(0) == 'q' || trimmed.charAt(0) == 'Q') && trimmed.charAt(1) == '=') {
                try {
                    double q = Double.parseDouble(trimmed.substring(2).trim());
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
