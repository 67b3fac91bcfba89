package io.sluice.staticfiles;

/**
 * Picks a precompressed representation from {@code Accept-Encoding} (RFC 9110 §12.5.3): the coding with
 * the highest q-value among those present on disk, brotli before gzip on a tie; {@code q=0} refuses a
 * coding, {@code *} stands for codings not named. Without the header only the identity file is sent.
 */
final class AcceptEncoding {
    enum Choice { IDENTITY, BROTLI, GZIP }

    private AcceptEncoding() {
    }

    static Choice choose(String header, boolean brotliAvailable, boolean gzipAvailable) {
        if (header == null || !brotliAvailable && !gzipAvailable) {
            return Choice.IDENTITY;
        }
        double brotli = -1;
        double gzip = -1;
        double any = -1;
        for (String element : header.split(",")) {
            String coding = element;
            double q = 1;
            int semicolon = element.indexOf(';');
            if (semicolon >= 0) {
                coding = element.substring(0, semicolon);
                q = qValue(element.substring(semicolon + 1));
            }
            coding = coding.trim();
            if (coding.equalsIgnoreCase("br")) {
                brotli = q;
            } else if (coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip")) {
                gzip = Math.max(gzip, q);
            } else if (coding.equals("*")) {
                any = q;
            }
        }
        double brotliQ = brotliAvailable ? (brotli >= 0 ? brotli : any) : 0;
        double gzipQ = gzipAvailable ? (gzip >= 0 ? gzip : any) : 0;
        if (brotliQ > 0 && brotliQ >= gzipQ) {
            return Choice.BROTLI;
        }
        return gzipQ > 0 ? Choice.GZIP : Choice.IDENTITY;
    }

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
