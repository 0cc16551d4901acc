/*
 * CLI output: JSON documents for --json, aligned text tables for people. Data goes to stdout,
 * progress and notes to stderr, so `$(hookline ...)` captures only the answer.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.RegistryClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formatting helpers over the two output streams. */
public final class Out {
    private final PrintStream out;
    private final PrintStream err;

    public Out(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    /** Prints a JSON document, pretty, on stdout. */
    public void json(JsonNode node) {
        try {
            out.println(RegistryClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A line on stdout. */
    public void line(String s) {
        out.println(s);
    }

    /** A note on stderr (what happened, what to do next). */
    public void note(String s) {
        err.println(s);
    }

    /** Prints rows under a header with columns padded to their widest cell. */
    public void table(List<String> header, List<List<String>> rows) {
        int[] width = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], cell(r, i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < width.length; i++) {
                String c = cell(r, i);
                sb.append(c);
                if (i < width.length - 1) {
                    sb.append(" ".repeat(width[i] - c.length() + 2));
                }
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static String cell(List<String> r, int i) {
        return i < r.size() && r.get(i) != null ? r.get(i) : "";
    }

    /** A field as text, "-" when absent or null. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isMissingNode() || v.isNull() ? "-" : v.asText();
    }

    /** A number with three decimals, "-" when absent or not a number. */
    public static String num(JsonNode v) {
        return v != null && v.isNumber() ? String.format(Locale.ROOT, "%.3f", v.asDouble()) : "-";
    }
}
