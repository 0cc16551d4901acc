/*
 * Formatting of registry JSON for the console: every missing or non-numeric field renders as
 * "—" (older versions carry fewer metrics), never as an error.
 */
package dev.hookline.console.view;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Null-safe formatting helpers; {@link #MISSING} stands for any absent value. */
public final class Fmt {

    /** What an absent value looks like. */
    public static final String MISSING = "—";

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Fmt() {
    }

    /** The node at a dotted path ({@code "regression.reliability"}), or a missing node. */
    public static JsonNode at(JsonNode node, String dotted) {
        JsonNode n = node;
        for (String part : dotted.split("\\.")) {
            if (n == null || n.isMissingNode() || n.isNull()) {
                return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            }
            n = n.path(part);
        }
        return n == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : n;
    }

    /** The number at a path, or null when absent or not a number. */
    public static Double number(JsonNode node, String dotted) {
        JsonNode n = at(node, dotted);
        return n.isNumber() ? n.asDouble() : null;
    }

    /** A number with {@code digits} decimals, or "—". */
    public static String num(Double v, int digits) {
        if (v == null || v.isNaN() || v.isInfinite()) {
            return MISSING;
        }
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** A number at a path with {@code digits} decimals, or "—". */
    public static String num(JsonNode node, String dotted, int digits) {
        return num(number(node, dotted), digits);
    }

    /** A signed difference {@code to - from} ("+0.012"), or "—" when either side is missing. */
    public static String change(Double from, Double to, int digits) {
        if (from == null || to == null) {
            return MISSING;
        }
        double d = to - from;
        return (d >= 0 ? "+" : "") + String.format(Locale.ROOT, "%." + digits + "f", d);
    }

    /** A text field, or "—". */
    public static String text(JsonNode node, String dotted) {
        JsonNode n = at(node, dotted);
        return n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? MISSING : n.asText();
    }

    /** A long field, or null. */
    public static Long id(JsonNode node, String dotted) {
        JsonNode n = at(node, dotted);
        return n.canConvertToLong() && n.isIntegralNumber() ? n.asLong() : null;
    }

    /** An ISO instant field shown as "yyyy-MM-dd HH:mm:ss UTC", or "—". */
    public static String time(JsonNode node, String dotted) {
        JsonNode n = at(node, dotted);
        if (!n.isTextual()) {
            return MISSING;
        }
        try {
            return TIME.format(Instant.parse(n.asText()));
        } catch (RuntimeException e) {
            return n.asText();
        }
    }

    /** A percentage of a share in [0, 1] ("97.0 %"), or "—". */
    public static String percent(Double share) {
        return share == null ? MISSING : String.format(Locale.ROOT, "%.1f %%", share * 100);
    }

    /** A shortened digest for tables ("sha256:1a2b3c4d…"), the whole one stays in the title. */
    public static String shortDigest(String digest) {
        if (digest == null || digest.isEmpty() || digest.equals(MISSING)) {
            return MISSING;
        }
        int colon = Math.max(digest.indexOf(':'), digest.indexOf('/'));
        return digest.length() <= colon + 13 ? digest : digest.substring(0, colon + 13) + "…";
    }
}
